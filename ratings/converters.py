"""URL converters of the debates app, registered once on import."""

from django.urls import register_converter


class ModelKeyConverter:
    """A catalog key, "provider:model"; the model part may hold "/", "." and ":"
    (e.g. openrouter:meta-llama/llama-3.3-70b-instruct)."""

    regex = r"[a-z0-9_]+:[A-Za-z0-9._:/-]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ModelKeyConverter, "modelkey")
