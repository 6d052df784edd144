# Terraform twin of manifests/edgemind-prod.yaml, for the benchmark only: the same network,
# security groups, secrets, Cloud Map namespace and discovery service, EFS file system with
# its mount targets and access point, repository, cluster, roles, log groups, task
# definitions, load balancer, listeners, target group, three services with auto scaling,
# buckets with their policy and the dashboard's files, origin access control and
# distribution, the site's certificate with its DNS validation record and the wait for its
# issue, and the site's alias records (A and AAAA) in the sandbox zone, found by name as
# edgectl finds it (the zone is the account's, not the stack's), resource for resource.
#
# Where the two cannot do the same thing:
# - edgectl retains the secrets and the file system on destroy (the seed's
#   RemovalPolicy.RETAIN); Terraform has no "keep on destroy" short of `prevent_destroy`,
#   which fails the destroy, so here they are deleted (secrets without a recovery window,
#   or the next round could not make them again). Terraform's destroy does that much more.
# - edgectl turns automatic backups on in CreateFileSystem (`Backup: true`); Terraform does
#   it with aws_efs_backup_policy (PutBackupPolicy), which moto lacks: left out.
# - edgectl empties the frontend bucket of what it uploaded (every version) before deleting
#   it, and refuses to delete objects it did not upload; Terraform's aws_s3_object deletes
#   its own objects' versions, but not the delete markers versioning leaves, so the bucket
#   takes force_destroy (every version and marker), without which the destroy fails with
#   BucketNotEmpty.
# - edgectl invalidates the distribution's changed paths after a sync; Terraform has no
#   invalidation resource (the seed's pipeline calls `aws cloudfront create-invalidation`).
# Names end in -tf where edgectl's would still be live (its retained secrets).

terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

variable "endpoint" {
  type = string
}

variable "frontend" {
  type        = string
  description = "the dashboard's files (manifests/edgemind-frontend)"
}

variable "image_tag" {
  type    = string
  default = "latest"
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true
  endpoints {
    acm                    = var.endpoint
    applicationautoscaling = var.endpoint
    cloudfront             = var.endpoint
    ec2                    = var.endpoint
    ecr                    = var.endpoint
    ecs                    = var.endpoint
    efs                    = var.endpoint
    elbv2                  = var.endpoint
    iam                    = var.endpoint
    logs                   = var.endpoint
    route53                = var.endpoint
    s3                     = var.endpoint
    secretsmanager         = var.endpoint
    servicediscovery       = var.endpoint
    sts                    = var.endpoint
  }
  default_tags {
    tags = { project = "edgemind", environment = "prod" }
  }
}

locals {
  name  = "edgemind-tf"
  zones = ["us-east-1a", "us-east-1b"]
  # CloudFront's managed policies.
  caching_optimized = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  caching_disabled  = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
  all_viewer        = "216adef6-5c7f-47e4-b989-5492eafa07d3"
  assume_ecs_tasks = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Action = "sts:AssumeRole", Effect = "Allow", Principal = { Service = "ecs-tasks.amazonaws.com" } }]
  })
  services = {
    backend  = { port = 3000, count = 2 }
    influxdb = { port = 8086, count = 1 }
    chromadb = { port = 8000, count = 1 }
  }
  content_types = { html = "text/html", css = "text/css", js = "text/javascript" }
  # Seed 001's sync: only the dashboard's files of the repository.
  frontend_files = setunion([for pattern in ["index.html", "css/**", "js/**", "assets/**"] : fileset(var.frontend, pattern)]...)
}

# Network: 10.0.0.0/16 over 2 zones, /18 subnets, one NAT gateway.

resource "aws_vpc" "main" {
  cidr_block           = "10.0.0.0/16"
  enable_dns_hostnames = true
  enable_dns_support   = true
  tags                 = { Name = "${local.name}-vpc" }
}

resource "aws_subnet" "public" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = ["10.0.0.0/18", "10.0.64.0/18"][count.index]
  availability_zone = local.zones[count.index]
  tags              = { Name = "${local.name}-public-${count.index + 1}" }
}

resource "aws_subnet" "private" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = ["10.0.128.0/18", "10.0.192.0/18"][count.index]
  availability_zone = local.zones[count.index]
  tags              = { Name = "${local.name}-private-${count.index + 1}" }
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
}

resource "aws_eip" "nat" {
  domain = "vpc"
}

resource "aws_nat_gateway" "main" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public[0].id
  depends_on    = [aws_internet_gateway.main]
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.main.id
  }
}

resource "aws_route_table_association" "public" {
  count          = 2
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  count  = 2
  vpc_id = aws_vpc.main.id
  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.main.id
  }
}

resource "aws_route_table_association" "private" {
  count          = 2
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

# Security groups: ALB -> backend -> InfluxDB -> EFS, backend -> ChromaDB.

resource "aws_security_group" "alb" {
  name        = "${local.name}-alb"
  description = "EdgeMind ALB"
  vpc_id      = aws_vpc.main.id
  dynamic "ingress" {
    for_each = [80, 443]
    content {
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
      description = "HTTP and HTTPS from the internet"
    }
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "backend" {
  name        = "${local.name}-backend"
  description = "EdgeMind backend (Node.js, MQTT, WebSocket)"
  vpc_id      = aws_vpc.main.id
  dynamic "ingress" {
    for_each = [3000, 8080]
    content {
      from_port       = ingress.value
      to_port         = ingress.value
      protocol        = "tcp"
      security_groups = [aws_security_group.alb.id]
      description     = "from the ALB"
    }
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "influxdb" {
  name        = "${local.name}-influxdb"
  description = "InfluxDB 2.7 on Fargate"
  vpc_id      = aws_vpc.main.id
  ingress {
    from_port       = 8086
    to_port         = 8086
    protocol        = "tcp"
    security_groups = [aws_security_group.backend.id]
    description     = "InfluxDB API from the backend"
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "efs" {
  name        = "${local.name}-efs"
  description = "InfluxDB data on EFS"
  vpc_id      = aws_vpc.main.id
  ingress {
    from_port       = 2049
    to_port         = 2049
    protocol        = "tcp"
    security_groups = [aws_security_group.influxdb.id]
    description     = "NFS from InfluxDB"
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "chromadb" {
  name        = "${local.name}-chromadb"
  description = "ChromaDB vector store"
  vpc_id      = aws_vpc.main.id
  ingress {
    from_port       = 8000
    to_port         = 8000
    protocol        = "tcp"
    security_groups = [aws_security_group.backend.id]
    description     = "Chroma API from the backend"
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# Secrets (values set outside, as the seed's runbook does).

resource "aws_secretsmanager_secret" "mqtt" {
  name                    = "${local.name}/mqtt"
  description             = "MQTT broker credentials (host, port, username, password)"
  recovery_window_in_days = 0
}

resource "aws_secretsmanager_secret" "influxdb" {
  name                    = "${local.name}/influxdb"
  description             = "InfluxDB connection (url, token, org, bucket, username)"
  recovery_window_in_days = 0
}

# Service discovery: influxdb.edgemind.local.

resource "aws_service_discovery_private_dns_namespace" "local" {
  name        = "edgemind.local"
  description = "EdgeMind service discovery"
  vpc         = aws_vpc.main.id
}

resource "aws_service_discovery_service" "influxdb" {
  name = "influxdb"
  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.local.id
    routing_policy = "MULTIVALUE"
    dns_records {
      type = "A"
      ttl  = 60
    }
  }
  health_check_custom_config {
    failure_threshold = 1
  }
}

# InfluxDB's data on EFS.

resource "aws_efs_file_system" "influxdb" {
  creation_token   = "${local.name}-influxdb"
  encrypted        = true
  performance_mode = "generalPurpose"
  throughput_mode  = "bursting"
  lifecycle_policy {
    transition_to_ia = "AFTER_14_DAYS"
  }
  tags = { Name = "${local.name}-influxdb" }
}

resource "aws_efs_mount_target" "influxdb" {
  count           = 2
  file_system_id  = aws_efs_file_system.influxdb.id
  subnet_id       = aws_subnet.private[count.index].id
  security_groups = [aws_security_group.efs.id]
}

resource "aws_efs_access_point" "data" {
  file_system_id = aws_efs_file_system.influxdb.id
  posix_user {
    uid = 1000
    gid = 1000
  }
  root_directory {
    path = "/influxdb"
    creation_info {
      owner_uid   = 1000
      owner_gid   = 1000
      permissions = "755"
    }
  }
  tags = { Name = "${local.name}-influxdb-data" }
}

# Containers.

resource "aws_ecr_repository" "backend" {
  name = "${local.name}-backend"
  image_scanning_configuration {
    scan_on_push = true
  }
}

resource "aws_ecr_lifecycle_policy" "backend" {
  repository = aws_ecr_repository.backend.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "expire untagged images after 7 days"
        selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 7 }
        action       = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "keep the last 10 images"
        selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 10 }
        action       = { type = "expire" }
      },
    ]
  })
}

resource "aws_ecs_cluster" "main" {
  name = "${local.name}-cluster"
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "main" {
  cluster_name       = aws_ecs_cluster.main.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]
}

resource "aws_iam_role" "execution" {
  for_each           = local.services
  name               = "${local.name}-${each.key}-execution"
  path               = "/edgectl/${local.name}/"
  assume_role_policy = local.assume_ecs_tasks
}

resource "aws_iam_role_policy_attachment" "execution" {
  for_each   = local.services
  role       = aws_iam_role.execution[each.key].name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_iam_role_policy" "backend_secrets" {
  name = "secrets"
  role = aws_iam_role.execution["backend"].name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "secretsmanager:GetSecretValue"
      Resource = [aws_secretsmanager_secret.mqtt.arn, aws_secretsmanager_secret.influxdb.arn]
    }]
  })
}

resource "aws_iam_role" "backend_task" {
  name               = "${local.name}-backend-task"
  path               = "/edgectl/${local.name}/"
  assume_role_policy = local.assume_ecs_tasks
}

resource "aws_iam_role_policy" "backend_task" {
  name = "task"
  role = aws_iam_role.backend_task.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["bedrock:InvokeModel", "secretsmanager:GetSecretValue"], Resource = ["*"] },
      {
        Effect   = "Allow"
        Action   = ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]
        Resource = "*"
      },
    ]
  })
}

resource "aws_iam_role" "influxdb_task" {
  name               = "${local.name}-influxdb-task"
  path               = "/edgectl/${local.name}/"
  assume_role_policy = local.assume_ecs_tasks
}

resource "aws_iam_role_policy" "influxdb_task" {
  name = "file-systems"
  role = aws_iam_role.influxdb_task.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
      Resource = aws_efs_file_system.influxdb.arn
    }]
  })
}

resource "aws_cloudwatch_log_group" "service" {
  for_each          = local.services
  name              = "/ecs/${local.name}-${each.key}"
  retention_in_days = 7
}

locals {
  logs = {
    for service, group in aws_cloudwatch_log_group.service : service => {
      logDriver = "awslogs"
      options   = { "awslogs-group" = group.name, "awslogs-region" = "us-east-1", "awslogs-stream-prefix" = "ecs" }
    }
  }
}

resource "aws_ecs_task_definition" "backend" {
  family                   = "${local.name}-backend"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = "512"
  memory                   = "1024"
  execution_role_arn       = aws_iam_role.execution["backend"].arn
  task_role_arn            = aws_iam_role.backend_task.arn
  container_definitions = jsonencode([{
    name         = "backend"
    image        = "${aws_ecr_repository.backend.repository_url}:${var.image_tag}"
    essential    = true
    portMappings = [{ containerPort = 3000, protocol = "tcp" }, { containerPort = 8080, protocol = "tcp" }]
    environment = [
      { name = "INFLUXDB_URL", value = "http://influxdb.edgemind.local:8086" },
      { name = "NODE_ENV", value = "production" },
    ]
    secrets = [
      { name = "INFLUXDB_CREDENTIALS", valueFrom = aws_secretsmanager_secret.influxdb.arn },
      { name = "MQTT_CREDENTIALS", valueFrom = aws_secretsmanager_secret.mqtt.arn },
    ]
    healthCheck = {
      command     = ["CMD-SHELL", "curl -f http://localhost:3000/health || exit 1"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 60
    }
    logConfiguration = local.logs["backend"]
  }])
}

resource "aws_ecs_task_definition" "influxdb" {
  family                   = "${local.name}-influxdb"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = "512"
  memory                   = "1024"
  execution_role_arn       = aws_iam_role.execution["influxdb"].arn
  task_role_arn            = aws_iam_role.influxdb_task.arn
  volume {
    name = "data"
    efs_volume_configuration {
      file_system_id     = aws_efs_file_system.influxdb.id
      transit_encryption = "ENABLED"
      authorization_config {
        access_point_id = aws_efs_access_point.data.id
        iam             = "ENABLED"
      }
    }
  }
  container_definitions = jsonencode([{
    name         = "influxdb"
    image        = "influxdb:2.7"
    essential    = true
    portMappings = [{ containerPort = 8086, protocol = "tcp" }]
    mountPoints  = [{ sourceVolume = "data", containerPath = "/var/lib/influxdb2", readOnly = false }]
    healthCheck = {
      command     = ["CMD-SHELL", "curl -f http://localhost:8086/health || exit 1"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 0
    }
    logConfiguration = local.logs["influxdb"]
  }])
}

resource "aws_ecs_task_definition" "chromadb" {
  family                   = "${local.name}-chromadb"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = "512"
  memory                   = "1024"
  execution_role_arn       = aws_iam_role.execution["chromadb"].arn
  container_definitions = jsonencode([{
    name             = "chromadb"
    image            = "chromadb/chroma"
    essential        = true
    portMappings     = [{ containerPort = 8000, protocol = "tcp" }]
    logConfiguration = local.logs["chromadb"]
  }])
}

# The load balancer.

resource "aws_lb" "alb" {
  name               = "${local.name}-alb"
  load_balancer_type = "application"
  subnets            = aws_subnet.public[*].id
  security_groups    = [aws_security_group.alb.id]
}

resource "aws_lb_target_group" "backend" {
  name        = "${local.name}-backend"
  port        = 3000
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = aws_vpc.main.id
  health_check {
    path    = "/health"
    matcher = "200"
  }
  stickiness {
    type            = "lb_cookie"
    cookie_duration = 86400
    enabled         = true
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.alb.arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.alb.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = aws_acm_certificate_validation.site.certificate_arn
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.backend.arn
  }
}

# The services.

resource "aws_ecs_service" "backend" {
  name                              = "${local.name}-backend"
  cluster                           = aws_ecs_cluster.main.id
  task_definition                   = aws_ecs_task_definition.backend.arn
  desired_count                     = 2
  launch_type                       = "FARGATE"
  enable_execute_command            = true
  health_check_grace_period_seconds = 60
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  network_configuration {
    subnets         = aws_subnet.private[*].id
    security_groups = [aws_security_group.backend.id]
  }
  load_balancer {
    target_group_arn = aws_lb_target_group.backend.arn
    container_name   = "backend"
    container_port   = 3000
  }
  lifecycle {
    # As in bench/terraform/service: auto scaling owns desired_count, and moto does not
    # return availability_zone_rebalancing.
    ignore_changes = [desired_count, availability_zone_rebalancing]
  }
  depends_on = [aws_lb_listener.https]
}

resource "aws_ecs_service" "influxdb" {
  name            = "${local.name}-influxdb"
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.influxdb.arn
  desired_count   = 1
  launch_type     = "FARGATE"
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  network_configuration {
    subnets         = aws_subnet.private[*].id
    security_groups = [aws_security_group.influxdb.id]
  }
  service_registries {
    registry_arn = aws_service_discovery_service.influxdb.arn
  }
  lifecycle {
    ignore_changes = [availability_zone_rebalancing]
  }
  depends_on = [aws_efs_mount_target.influxdb]
}

resource "aws_ecs_service" "chromadb" {
  name            = "${local.name}-chromadb"
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.chromadb.arn
  desired_count   = 1
  launch_type     = "FARGATE"
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  network_configuration {
    subnets         = aws_subnet.private[*].id
    security_groups = [aws_security_group.chromadb.id]
  }
  lifecycle {
    ignore_changes = [availability_zone_rebalancing]
  }
}

resource "aws_appautoscaling_target" "backend" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.backend.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = 1
  max_capacity       = 4
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.backend.service_namespace
  resource_id        = aws_appautoscaling_target.backend.resource_id
  scalable_dimension = aws_appautoscaling_target.backend.scalable_dimension
  target_tracking_scaling_policy_configuration {
    target_value = 70
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "memory" {
  name               = "memory"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.backend.service_namespace
  resource_id        = aws_appautoscaling_target.backend.resource_id
  scalable_dimension = aws_appautoscaling_target.backend.scalable_dimension
  target_tracking_scaling_policy_configuration {
    target_value = 80
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageMemoryUtilization"
    }
  }
}

# The frontend: buckets, the dashboard's files, CloudFront.

resource "aws_s3_bucket" "frontend" {
  bucket        = "${local.name}-frontend"
  force_destroy = true
}

resource "aws_s3_bucket_versioning" "frontend" {
  bucket = aws_s3_bucket.frontend.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "frontend" {
  bucket = aws_s3_bucket.frontend.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "frontend" {
  bucket                  = aws_s3_bucket.frontend.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "frontend" {
  bucket = aws_s3_bucket.frontend.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "frontend" {
  bucket = aws_s3_bucket.frontend.id
  rule {
    id     = "rule-1"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_s3_object" "frontend" {
  for_each      = local.frontend_files
  bucket        = aws_s3_bucket.frontend.id
  key           = each.value
  source        = "${var.frontend}/${each.value}"
  etag          = filemd5("${var.frontend}/${each.value}")
  content_type  = local.content_types[reverse(split(".", each.value))[0]]
  cache_control = each.value == "index.html" ? "no-cache" : "public, max-age=86400"
}

resource "aws_s3_bucket" "cdn_logs" {
  bucket = "${local.name}-cdn-logs"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "cdn_logs" {
  bucket = aws_s3_bucket.cdn_logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "cdn_logs" {
  bucket                  = aws_s3_bucket.cdn_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "cdn_logs" {
  bucket = aws_s3_bucket.cdn_logs.id
  rule {
    object_ownership = "BucketOwnerPreferred"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "cdn_logs" {
  bucket = aws_s3_bucket.cdn_logs.id
  rule {
    id     = "rule-1"
    status = "Enabled"
    filter {}
    expiration {
      days = 90
    }
  }
}

resource "aws_cloudfront_origin_access_control" "frontend" {
  name                              = "${local.name}-frontend"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_distribution" "cdn" {
  comment             = "EdgeMind factory dashboard"
  enabled             = true
  is_ipv6_enabled     = true
  http_version        = "http2and3"
  price_class         = "PriceClass_All"
  default_root_object = "index.html"
  aliases             = ["edge-mind.concept-reply-sandbox.com"]

  origin {
    origin_id                = "bucket-frontend"
    domain_name              = aws_s3_bucket.frontend.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.frontend.id
  }
  origin {
    origin_id   = "api"
    domain_name = aws_lb.alb.dns_name
    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
  }

  default_cache_behavior {
    target_origin_id       = "bucket-frontend"
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    compress               = true
    cache_policy_id        = local.caching_optimized
  }

  dynamic "ordered_cache_behavior" {
    for_each = [
      { path = "/api/*", compress = true },
      { path = "/health", compress = true },
      { path = "/ws", compress = false },
    ]
    content {
      path_pattern             = ordered_cache_behavior.value.path
      target_origin_id         = "api"
      viewer_protocol_policy   = "redirect-to-https"
      allowed_methods          = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
      cached_methods           = ["GET", "HEAD"]
      compress                 = ordered_cache_behavior.value.compress
      cache_policy_id          = local.caching_disabled
      origin_request_policy_id = local.all_viewer
    }
  }

  logging_config {
    bucket = aws_s3_bucket.cdn_logs.bucket_domain_name
    prefix = "cloudfront/"
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    acm_certificate_arn      = aws_acm_certificate_validation.site.certificate_arn
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }

  lifecycle {
    # moto only: it answers every cache behavior with legacy forwarded_values beside the
    # cache policy, and viewer_certificate with cloudfront_default_certificate = true
    # beside the ACM certificate, a perpetual diff AWS does not show.
    ignore_changes = [default_cache_behavior, ordered_cache_behavior, viewer_certificate]
  }
  depends_on = [aws_s3_bucket_ownership_controls.cdn_logs]
}

resource "aws_s3_bucket_policy" "frontend" {
  bucket = aws_s3_bucket.frontend.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "CloudFrontRead"
      Effect    = "Allow"
      Principal = { Service = "cloudfront.amazonaws.com" }
      Action    = "s3:GetObject"
      Resource  = "${aws_s3_bucket.frontend.arn}/*"
      Condition = { StringEquals = { "AWS:SourceArn" = aws_cloudfront_distribution.cdn.arn } }
    }]
  })
  depends_on = [aws_s3_bucket_public_access_block.frontend]
}

# The site's name: the certificate (us-east-1, CloudFront's and the ALB's), validated through
# DNS in the sandbox zone, and the alias records to the distribution.

data "aws_route53_zone" "sandbox" {
  name = "concept-reply-sandbox.com"
}

resource "aws_acm_certificate" "site" {
  domain_name       = "edge-mind.concept-reply-sandbox.com"
  validation_method = "DNS"
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "site_validation" {
  for_each = {
    for option in aws_acm_certificate.site.domain_validation_options : option.domain_name => {
      name  = option.resource_record_name
      type  = option.resource_record_type
      value = option.resource_record_value
    }
  }
  zone_id         = data.aws_route53_zone.sandbox.zone_id
  name            = each.value.name
  type            = each.value.type
  records         = [each.value.value]
  ttl             = 300
  allow_overwrite = false
}

resource "aws_acm_certificate_validation" "site" {
  certificate_arn         = aws_acm_certificate.site.arn
  validation_record_fqdns = [for record in aws_route53_record.site_validation : record.fqdn]
}

resource "aws_route53_record" "site" {
  for_each = toset(["A", "AAAA"])
  zone_id  = data.aws_route53_zone.sandbox.zone_id
  name     = "edge-mind.concept-reply-sandbox.com"
  type     = each.value
  alias {
    name                   = aws_cloudfront_distribution.cdn.domain_name
    zone_id                = aws_cloudfront_distribution.cdn.hosted_zone_id
    evaluate_target_health = false
  }
}
