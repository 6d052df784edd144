"""Small, documented fixes to the test venv's moto where it differs from AWS in ways that
would make correct edgectl behaviour fail the tests. Each patch names the gap; all are
applied by scripts/moto-venv right after installing the pinned version.

1. ec2 DeleteVpcEndpoints: moto's ModifyVpcEndpoint(AddRouteTableIds) records the table
   without adding the endpoint's prefix-list route, and DeleteVpcEndpoints then raises
   InvalidRoute.NotFound for that table, leaving the endpoint `available`. AWS deletes
   the endpoint and its routes. Patch: a missing route does not stop the delete.
"""
import pathlib
import sys

import moto

root = pathlib.Path(moto.__file__).parent
PATCHES = [
    (
        root / "ec2/models/vpcs.py",
        """                    for route_table_id in vpc_endpoint.route_table_ids:
                        self.delete_route(  # type: ignore[attr-defined]
                            route_table_id, vpc_endpoint.destination_prefix_list_id
                        )""",
        """                    for route_table_id in vpc_endpoint.route_table_ids:
                        try:  # edgectl patch 1: AWS deletes the endpoint whatever its routes
                            self.delete_route(  # type: ignore[attr-defined]
                                route_table_id, vpc_endpoint.destination_prefix_list_id
                            )
                        except Exception:
                            pass""",
    ),
]

for path, old, new in PATCHES:
    text = path.read_text()
    if new in text:
        continue
    if old not in text:
        sys.exit(f"moto patch does not apply to {path}: the pinned version changed?")
    path.write_text(text.replace(old, new, 1))
