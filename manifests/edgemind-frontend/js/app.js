// Placeholder for the dashboard bundle: the real files come from the frontend build.
