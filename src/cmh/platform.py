"""The local platform: the resources of template.yaml created on moto, in this process.

DynamoDB tables, the Secrets Manager secret, the SES identity, the SNS topic and the state
machine are created from their definitions in the template. The functions' handlers are
loaded from their CodeUri and dispatched in process (see `lambda_hook`). The HTTP routes come
from the functions' HttpApi events.
"""

import importlib.util
import json
import logging
import os
import re
import secrets
import string
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from . import lambda_hook, moto_speed, serialise
from .auth import LOCAL_CLIENT_ID, LOCAL_USER_POOL_ID
from .template import Resolver, function_properties, load, resources_of_type

logger = logging.getLogger("cmh.platform")

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
# Environment of the in-process AWS emulation: fake credentials that moto accepts, and no
# tracing or metrics output (there is no X-Ray daemon and no CloudWatch locally).
LOCAL_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_DEV": "false",
}
MOTO_CONFIG = {"lambda": {"use_docker": False},
               "stepfunctions": {"execute_state_machine": True}}


@dataclass(frozen=True)
class JwtAuthorizer:
    """The JWT authorizer of a route, as the template configures it."""

    name: str
    issuer: str
    audience: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str
    pattern: re.Pattern[str]
    authorizer: JwtAuthorizer | None = None

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        found = self.pattern.fullmatch(path)
        return found.groupdict() if found else None


def _route(method: str, path: str, function: str,
           authorizer: JwtAuthorizer | None = None) -> Route:
    regex = re.sub(r"\\\{([A-Za-z0-9_]+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return Route(method=method.upper(), path=path, function=function,
                 pattern=re.compile(regex), authorizer=authorizer)


@dataclass
class Platform:
    root: Path
    parameters: dict[str, str]
    template: dict[str, Any] = field(default_factory=dict)
    physical_ids: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    functions: dict[str, lambda_hook.Registration] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    state_machine_arns: dict[str, str] = field(default_factory=dict)
    schedules: dict[str, int] = field(default_factory=dict)
    _mock: Any = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> "Platform":
        """Start the AWS emulation and create every resource of the template."""
        os.environ.update(LOCAL_ENVIRONMENT)
        from moto import mock_aws

        self._mock = mock_aws(config=MOTO_CONFIG)  # type: ignore[arg-type]
        self._mock.start()
        lambda_hook.install()
        serialise.install()
        moto_speed.install()

        self.template = load(self.root / "template.yaml")
        self._name_resources()
        resolver = self._resolver()
        self._create_tables(resolver)
        self._create_secrets()
        self._create_email_identities(resolver)
        self._create_topics()
        self._set_function_environment(resolver)
        self._create_state_machines(resolver)
        self._load_functions()
        self._collect_routes(resolver)
        logger.info("Local platform ready: %d functions, %d routes", len(self.functions),
                    len(self.routes))
        return self

    def stop(self) -> None:
        lambda_hook.unregister_all()
        lambda_hook.uninstall()
        serialise.uninstall()
        moto_speed.uninstall()
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        for module_name in [name for name in sys.modules if name.startswith("cmh_function_")]:
            del sys.modules[module_name]

    # --- resources -------------------------------------------------------------------------

    def _resolver(self) -> Resolver:
        parameters = {name: str(self.parameters.get(name, spec.get("Default", "")))
                      for name, spec in self.template.get("Parameters", {}).items()}
        pseudo = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT_ID, "AWS::Partition": "aws",
                  "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "connectmyhome-local",
                  "AWS::NoValue": ""}
        return Resolver(self.template, parameters, self.physical_ids, self.attributes, pseudo)

    def _name_resources(self) -> None:
        """Give each resource the physical id and ARN it has locally, before any is created."""
        for name, resource in self.template["Resources"].items():
            kind = resource["Type"]
            if kind == "AWS::DynamoDB::Table":
                self.physical_ids[name] = name
                self.attributes[(name, "Arn")] = (
                    f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}")
            elif kind == "AWS::Serverless::Function":
                arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
                self.physical_ids[name] = name
                self.attributes[(name, "Arn")] = arn
            elif kind == "AWS::Serverless::StateMachine":
                arn = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{name}"
                self.physical_ids[name] = arn
                self.attributes[(name, "Arn")] = arn
                self.attributes[(name, "Name")] = name
            elif kind == "AWS::SNS::Topic":
                arn = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{name}"
                self.physical_ids[name] = arn
                self.attributes[(name, "TopicArn")] = arn
            elif kind == "AWS::Serverless::HttpApi":
                self.physical_ids[name] = "local"
            elif kind == "AWS::Cognito::UserPool":
                self.physical_ids[name] = LOCAL_USER_POOL_ID
            elif kind == "AWS::Cognito::UserPoolClient":
                self.physical_ids[name] = LOCAL_CLIENT_ID

    def _create_tables(self, resolver: Resolver) -> None:
        import boto3

        client = boto3.client("dynamodb", region_name=REGION)
        for name, resource in resources_of_type(self.template, "AWS::DynamoDB::Table").items():
            properties = resolver.resolve(resource["Properties"])
            arguments: dict[str, Any] = {
                "TableName": name,
                "AttributeDefinitions": properties["AttributeDefinitions"],
                "KeySchema": properties["KeySchema"],
                "BillingMode": properties.get("BillingMode", "PAY_PER_REQUEST"),
            }
            if properties.get("GlobalSecondaryIndexes"):
                arguments["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"]
            if properties.get("DeletionProtectionEnabled"):
                arguments["DeletionProtectionEnabled"] = True
            if properties.get("SSESpecification"):
                arguments["SSESpecification"] = {"Enabled": properties["SSESpecification"]
                                                 .get("SSEEnabled", False)}
            client.create_table(**arguments)

            ttl = properties.get("TimeToLiveSpecification")
            if ttl and ttl.get("Enabled"):
                client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
            recovery = properties.get("PointInTimeRecoverySpecification", {})
            if recovery.get("PointInTimeRecoveryEnabled"):
                client.update_continuous_backups(
                    TableName=name,
                    PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})

    def _create_secrets(self) -> None:
        import boto3

        client = boto3.client("secretsmanager", region_name=REGION)
        for name, resource in resources_of_type(self.template,
                                                "AWS::SecretsManager::Secret").items():
            generate = resource["Properties"].get("GenerateSecretString", {})
            alphabet = string.ascii_letters + string.digits
            length = int(generate.get("PasswordLength", 32))
            value = "".join(secrets.choice(alphabet) for _ in range(length))
            answer = client.create_secret(Name=name, SecretString=value)
            self.physical_ids[name] = answer["ARN"]

    def _create_email_identities(self, resolver: Resolver) -> None:
        import boto3

        client = boto3.client("sesv2", region_name=REGION)
        for resource in resources_of_type(self.template, "AWS::SES::EmailIdentity").values():
            identity = resolver.resolve(resource["Properties"]["EmailIdentity"])
            client.create_email_identity(EmailIdentity=identity)

    def _create_topics(self) -> None:
        import boto3

        client = boto3.client("sns", region_name=REGION)
        for name in resources_of_type(self.template, "AWS::SNS::Topic"):
            client.create_topic(Name=name)

    def _create_state_machines(self, resolver: Resolver) -> None:
        for name in resources_of_type(self.template, "AWS::Serverless::StateMachine"):
            self.state_machine_arns[name] = self.create_state_machine(name, name)

    def create_state_machine(self, resource: str, name: str,
                             substitutions: dict[str, str] | None = None) -> str:
        """Create a state machine of the template under `name`; `substitutions` override
        DefinitionSubstitutions, e.g. a shorter timeout for a test. Returns its ARN."""
        import boto3

        properties = self.template["Resources"][resource]["Properties"]
        definition = (self.root / properties["DefinitionUri"]).read_text(encoding="utf-8")
        values = self._resolver().resolve(properties.get("DefinitionSubstitutions", {}))
        values.update(substitutions or {})
        for key, value in values.items():
            definition = definition.replace("${" + key + "}", str(value))
        json.loads(definition)

        answer = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
            name=name, definition=definition,
            roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{name}Role",
            type=properties.get("Type", "STANDARD"))
        return answer["stateMachineArn"]

    # --- functions -------------------------------------------------------------------------

    def _set_function_environment(self, resolver: Resolver) -> None:
        """Put every function's environment variables into this process's environment.

        All handlers share one process, so two functions must not give one variable two
        different values. This check stops the start when the template does.
        """
        merged: dict[str, str] = {}
        for name in resources_of_type(self.template, "AWS::Serverless::Function"):
            variables = resolver.resolve(
                function_properties(self.template, name)["Environment"]["Variables"])
            for key, value in variables.items():
                text = str(value)
                if key in merged and merged[key] != text:
                    raise ValueError(f"template.yaml: {key} differs between functions "
                                     f"({merged[key]!r} and {text!r}); the local runtime "
                                     "shares one environment")
                merged[key] = text
        self.environment = merged
        os.environ.update(merged)

    def _load_functions(self) -> None:
        # Powertools' event handler keeps the current event on a class attribute shared by
        # every resolver of the process, so the functions behind HTTP routes take turns.
        # NOTE: in AWS each function runs alone in its own process; only this emulation
        # needs the shared lock.
        http_lock = threading.Lock()
        for name in resources_of_type(self.template, "AWS::Serverless::Function"):
            properties = function_properties(self.template, name)
            events = self.template["Resources"][name]["Properties"].get("Events", {})
            serves_http = any(event.get("Type") == "HttpApi" for event in events.values())
            module_name, _, attribute = properties["Handler"].rpartition(".")
            source = self.root / properties["CodeUri"] / f"{module_name.replace('.', '/')}.py"
            module = _load_module(f"cmh_function_{name}", source)
            registration = lambda_hook.Registration(
                name=name, handler=_dropping_metrics(getattr(module, attribute)),
                arn=self.attributes[(name, "Arn")],
                memory_mb=int(properties.get("MemorySize", 128)),
                timeout_seconds=int(properties.get("Timeout", 3)))
            if serves_http:
                registration.lock = http_lock
            self.functions[name] = registration
            lambda_hook.register(registration)

    def _collect_routes(self, resolver: Resolver) -> None:
        for name in resources_of_type(self.template, "AWS::Serverless::Function"):
            events = self.template["Resources"][name]["Properties"].get("Events", {})
            for event in events.values():
                if event.get("Type") == "Schedule":
                    self.schedules[name] = _rate_seconds(event["Properties"]["Schedule"])
                if event.get("Type") != "HttpApi":
                    continue
                properties = resolver.resolve(event.get("Properties", {}))
                authorizer = self._authorizer(resolver, event.get("Properties", {}))
                self.routes.append(_route(properties["Method"], properties["Path"], name,
                                          authorizer))

    def _authorizer(self, resolver: Resolver, event: dict[str, Any]) -> JwtAuthorizer | None:
        """Return the JWT authorizer that an HttpApi event (unresolved) names, from its API."""
        name = (event.get("Auth") or {}).get("Authorizer")
        if not name or name == "NONE":
            return None
        api_name = event["ApiId"]["Ref"] if isinstance(event.get("ApiId"), dict) else None
        apis = resources_of_type(self.template, "AWS::Serverless::HttpApi")
        api = apis[api_name] if api_name in apis else next(iter(apis.values()))
        configuration = api["Properties"]["Auth"]["Authorizers"][name]["JwtConfiguration"]
        resolved = resolver.resolve(configuration)
        return JwtAuthorizer(name=name, issuer=resolved["issuer"],
                             audience=tuple(resolved["audience"]))

    def find_route(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            parameters = route.match(method, path)
            if parameters is not None:
                return route, parameters
        return None

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        """Invoke a function in process, as API Gateway does; exceptions propagate."""
        return lambda_hook.run(self.functions[function], event)


def _dropping_metrics(handler: lambda_hook.Handler) -> lambda_hook.Handler:
    """Wrap a handler so that the metrics it adds are dropped once it returns.

    Metrics are disabled locally, and Powertools then never clears them: the values that every
    function of the process adds pile up in one shared set, which Powertools prints to stdout
    at each hundredth value. In AWS each invocation flushes its own.
    """
    def run(event: Any, context: Any) -> Any:
        try:
            return handler(event, context)
        finally:
            from aws_lambda_powertools.metrics import Metrics

            Metrics().clear_metrics()

    return run


def _rate_seconds(expression: str) -> int:
    """Read an EventBridge rate expression, e.g. "rate(15 minutes)", as seconds."""
    found = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", expression)
    if found is None:
        raise ValueError(f"template.yaml: unsupported schedule {expression!r}; use rate(...)")
    unit = {"minute": 60, "hour": 3600, "day": 86400}[found.group(2).rstrip("s")]
    return int(found.group(1)) * unit


def _load_module(module_name: str, source: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, source)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load handler module {source}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
