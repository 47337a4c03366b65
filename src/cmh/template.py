"""Reading template.yaml: CloudFormation tags, SAM globals and the intrinsic functions that
the local runtime needs (Ref, Fn::GetAtt, Fn::Sub, Fn::If, Fn::Equals, Fn::Not)."""

import re
from pathlib import Path
from typing import Any

import yaml

_SHORT_TAGS = ("Ref", "GetAtt", "Sub", "If", "Equals", "Not", "And", "Or", "Join", "Select",
               "Split", "FindInMap", "ImportValue", "GetAZs", "Base64", "Condition")


class _TemplateLoader(yaml.SafeLoader):
    pass


def _construct_tag(tag: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]

        if tag == "Ref":
            return {"Ref": value}
        if tag == "Condition":
            return {"Condition": value}
        if tag == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {f"Fn::{tag}": value}
    return construct


for _tag in _SHORT_TAGS:
    _TemplateLoader.add_constructor(f"!{_tag}", _construct_tag(_tag))


def load(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_TemplateLoader)


class Resolver:
    """Resolve intrinsic functions against parameter values and local physical ids."""

    def __init__(self, template: dict[str, Any], parameters: dict[str, str],
                 physical_ids: dict[str, str], attributes: dict[tuple[str, str], str],
                 pseudo: dict[str, str]) -> None:
        self.template = template
        self.parameters = parameters
        self.physical_ids = physical_ids
        self.attributes = attributes
        self.pseudo = pseudo

    def ref(self, name: str) -> str:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical_ids:
            return self.physical_ids[name]
        raise KeyError(f"template.yaml: nothing named {name!r} to Ref locally")

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template.get("Conditions", {})[name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {key: self.resolve(item) for key, item in value.items()}

        (key, argument), = value.items()
        if key == "Ref":
            return self.ref(argument)
        if key == "Fn::GetAtt":
            return self.attributes[(argument[0], argument[1])]
        if key == "Fn::Sub":
            return self._substitute(argument)
        if key == "Fn::Equals":
            left, right = (self.resolve(item) for item in argument)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self.resolve(argument[0])
        if key == "Fn::If":
            name, when_true, when_false = argument
            return self.resolve(when_true if self.condition(name) else when_false)
        if key == "Fn::Join":
            separator, items = argument
            return separator.join(str(item) for item in self.resolve(items))
        if key == "Condition":
            return self.condition(argument)
        if key.startswith("Fn::"):
            raise NotImplementedError(f"template.yaml: {key} is not supported by the local runtime")
        return {key: self.resolve(argument)}

    def _substitute(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        variables = {name: self.resolve(item) for name, item in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name:
                resource, attribute = name.split(".", 1)
                return self.attributes[(resource, attribute)]
            return self.ref(name)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: resource for name, resource in template.get("Resources", {}).items()
            if resource.get("Type") == resource_type}


def function_properties(template: dict[str, Any], name: str) -> dict[str, Any]:
    """Return a function's properties with the SAM Globals merged in, as SAM does."""
    globals_ = template.get("Globals", {}).get("Function", {})
    own = template["Resources"][name].get("Properties", {})
    merged = {**globals_, **own}
    variables = {**globals_.get("Environment", {}).get("Variables", {}),
                 **own.get("Environment", {}).get("Variables", {})}
    merged["Environment"] = {"Variables": variables}
    return merged
