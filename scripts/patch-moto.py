"""Small, documented fixes to the test venv's moto where it differs from AWS in ways that
would make correct edgectl behaviour fail the tests. Each patch names the gap; all are
applied by scripts/moto-venv right after installing the pinned version.

1. ec2 DeleteVpcEndpoints: moto's ModifyVpcEndpoint(AddRouteTableIds) records the table
   without adding the endpoint's prefix-list route, and DeleteVpcEndpoints then raises
   InvalidRoute.NotFound for that table, leaving the endpoint `available`. AWS deletes
   the endpoint and its routes. Patch: a missing route does not stop the delete.
2. ecs CreateService drops `deploymentConfiguration` (circuit breaker, min/max percent),
   `healthCheckGracePeriodSeconds`, `enableExecuteCommand` and `capacityProviderStrategy`,
   so a service reads back without what it was created with, though UpdateService keeps
   them. AWS keeps them from the create. Patch: keep them on the created service.
3. ecs UpdateService with a new task definition leaves the service's PRIMARY deployment on
   the old revision (moto adds no deployment), which reads exactly like a deployment the
   circuit breaker rolled back. AWS makes a new PRIMARY deployment of the new revision.
   Patch: the PRIMARY deployment takes the new revision.
4. application-autoscaling has no ListTagsForResource/TagResource/UntagResource and
   drops RegisterScalableTarget's Tags. Terraform's provider reads a scalable target's
   tags and retries the 500 for minutes, so the benchmark's Terraform twin cannot run.
   Patch: keep tags per ARN and answer the three calls.
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

PATCHES.append(
    (
        root / "ecs/responses.py",
        """            role_arn=role,
        )
        return ActionResult({"service": service})""",
        """            role_arn=role,
        )
        # edgectl patch 2: AWS keeps these from CreateService
        for key, attribute in [
            ("deploymentConfiguration", "deployment_configuration"),
            ("healthCheckGracePeriodSeconds", "health_check_grace_period_seconds"),
            ("enableExecuteCommand", "enable_execute_command"),
            ("capacityProviderStrategy", "capacity_provider_strategy"),
        ]:
            if self._get_param(key) is not None:
                setattr(service, attribute, self._get_param(key))
        return ActionResult({"service": service})""",
    )
)

PATCHES.append(
    (
        root / "ecs/models.py",
        """            if task_definition_str:
                self.describe_task_definition(task_definition_str)
                current_service.task_definition = task_definition_str""",
        """            if task_definition_str:
                self.describe_task_definition(task_definition_str)
                current_service.task_definition = task_definition_str
                # edgectl patch 3: AWS deploys the new revision as the PRIMARY deployment
                if current_service.deployments:
                    current_service.deployments[0]["taskDefinition"] = (
                        self.describe_task_definition(task_definition_str).arn
                    )""",
    )
)

PATCHES.append(
    (
        root / "applicationautoscaling/responses.py",
        """        return json.dumps({"ScalableTargetARN": target.arn})

    def deregister_scalable_target(self) -> str:""",
        """        # edgectl patch 4: tags on scalable targets
        self._edgectl_tags().setdefault(target.arn, {}).update(self._get_param("Tags") or {})
        return json.dumps({"ScalableTargetARN": target.arn})

    def _edgectl_tags(self) -> dict:
        backend = self.applicationautoscaling_backend
        if not hasattr(backend, "edgectl_tags"):
            backend.edgectl_tags = {}
        return backend.edgectl_tags

    def list_tags_for_resource(self) -> str:
        tags = self._edgectl_tags().get(self._get_param("ResourceARN"), {})
        return json.dumps({"Tags": tags})

    def tag_resource(self) -> str:
        arn = self._get_param("ResourceARN")
        self._edgectl_tags().setdefault(arn, {}).update(self._get_param("Tags") or {})
        return json.dumps({})

    def untag_resource(self) -> str:
        tags = self._edgectl_tags().get(self._get_param("ResourceARN"), {})
        for key in self._get_param("TagKeys") or []:
            tags.pop(key, None)
        return json.dumps({})

    def deregister_scalable_target(self) -> str:""",
    )
)

for path, old, new in PATCHES:
    text = path.read_text()
    if new in text:
        continue
    if old not in text:
        sys.exit(f"moto patch does not apply to {path}: the pinned version changed?")
    path.write_text(text.replace(old, new, 1))
