"""The OpenAPI document describes every /mp/ operation well enough to build the mini-program from it."""

from __future__ import annotations


def _resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    if schema.get("type") == "array" and "items" in schema:
        return _resolve(doc, schema["items"])
    return schema


def _has_example(doc: dict, media: dict) -> bool:
    if "example" in media or "examples" in media:
        return True
    return "examples" in _resolve(doc, media.get("schema", {}))


def test_every_mini_program_operation_has_a_summary_examples_and_its_errors(client):
    doc = client.get("/openapi.json").json()
    operations = [(path, method, op) for path, item in doc["paths"].items() if path.startswith("/mp/")
                  for method, op in item.items()]
    assert len(operations) >= 14
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("summary") and len(op.get("description", "")) > 40, where
        body = op.get("requestBody")
        if body is not None:
            assert all(_has_example(doc, m) for m in body["content"].values()), f"{where}: request example"
        success = [code for code in op["responses"] if code.startswith("2")]
        assert success, where
        for code in success:
            content = op["responses"][code].get("content", {})
            assert content and all(_has_example(doc, m) for m in content.values()), f"{where}: {code} example"
        errors = set(op["responses"]) - set(success)
        assert {"401", "404", "422"} <= errors, f"{where}: documented errors {errors}"
        for code in errors:
            assert op["responses"][code].get("description"), where
