"""Every endpoint in the OpenAPI document, fed generated input by schemathesis as a signed-in admin,
with WeCom, the mini-program API and WeChat Pay configured (their sandboxes): no 5xx, and every answer matches what the document says
(status codes, content types, headers, body schemas)."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_headers_conformance,
                                 response_schema_conformance, status_code_conformance)

from loan_scrm.app import create_app
from scrm.org.models import Role
from tests.factories.org import auth, make_employee

# Not run: positive_data_acceptance (business rules reject schema-valid input with a 422 naming the field:
# password policy, ID-number checksums, unknown products), negative_data_rejection (pydantic reads a
# number as a Unix time for a date-time, by design), and the 405 Allow-header checks (Starlette's).
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_endpoint_answers_as_documented(db, sandbox_wecom, sandbox_wxa, sandbox_wechatpay, case):
    from scrm.ingress import service as ingress_service

    ingress_service.callback_keys.cache_clear()
    admin = make_employee(db, role=Role.admin)
    case.call_and_validate(headers=auth(admin), checks=CHECKS)
