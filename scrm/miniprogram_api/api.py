"""The mini-program's API under ``/mp``: sign-in, applications, progress, the customer's documents and the
referral centre.

Every endpoint but sign-in takes the customer's own token (``CurrentCustomer``) and shows only that
customer's data: another customer's ids answer 404, the same as ids that do not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Response, UploadFile, status

from scrm.auth import SessionDep, issue_customer_token
from scrm.core.config import get_settings
from scrm.core.crypto import mask_card, mask_name, mask_phone
from scrm.core.errors import ERROR_RESPONSES
from scrm.core.money import from_fen
from scrm.customers import forms
from scrm.customers import service as customer_service
from scrm.customers.identity import MP_ERRORS, CurrentCustomer
from scrm.customers.labels import ATTACHMENT_KIND_NAMES
from scrm.customers.models import Customer, LoanProduct
from scrm.miniprogram_api import schemas
from scrm.miniprogram_api import service as mp_service
from scrm.miniprogram_api import terms
from scrm.miniprogram_api.models import LoanApplication, SettlementStatement
from scrm.referral import service as referral_service
from scrm.referral.models import Commission, Withdrawal, WithdrawalMethod

WX_ERRORS = {502: {"description": "The WeChat API is unavailable; try again shortly",
                   "content": {"application/json": {"example": {"error": "external_error", "message": "…"}}}}}

router = APIRouter(prefix="/mp", tags=["mini-program"], responses=MP_ERRORS)


def _customer_out(session, customer: Customer) -> schemas.CustomerOut:
    return schemas.CustomerOut(id=customer.id, name=customer.name or "", phone=mask_phone(customer.phone),
                               stage=mp_service.progress(session, customer)["stage"],
                               has_phone=customer.phone_hash is not None)


def _session_out(session, customer: Customer, *, new: bool, referral=None) -> schemas.LoginOut:
    outcome = None
    if referral is not None:
        outcome = schemas.ReferralOutcome(
            referrer_customer_id=referral.referral.referrer_customer_id if referral.referral else None,
            rejected=referral.rejected)
    return schemas.LoginOut(token=issue_customer_token(customer.id), expires_in=get_settings().customer_token_ttl_s,
                            new_customer=new, customer=_customer_out(session, customer), referral=outcome)


# ---------------------------------------------------------------- sign-in


@router.post("/auth/login", response_model=schemas.LoginOut, summary="Sign in with wx.login's code",
             responses=WX_ERRORS)
def login(body: schemas.LoginIn, session: SessionDep) -> schemas.LoginOut:
    """Exchange `wx.login()`'s code (through code2session) for our own short-lived session token.

    The customer is found by openid, or by unionid when they are already a WeCom contact, or created as
    a new lead and assigned by the assignment rules. When the mini-program was opened through a
    friend's referral code, pass its `scene`: the first referral within the window counts.
    A spent or expired code answers 401; a unionid already signed in under another openid answers 409.
    """
    result = mp_service.sign_in(session, body.code, referral_code=body.scene)
    return _session_out(session, result.customer, new=result.created, referral=result.referral)


@router.post("/auth/phone", response_model=schemas.LoginOut, summary="Bind the WeChat-verified phone number",
             responses=WX_ERRORS)
def bind_phone(body: schemas.PhoneIn, customer: CurrentCustomer, session: SessionDep) -> schemas.LoginOut:
    """Exchange getPhoneNumber's code for the number WeChat verified; it is stored encrypted and shown masked.

    When a record with this number already exists (a salesperson entered it, or the customer added a
    salesperson on WeCom), it is the same person: the records are merged and a new token for the kept
    record is returned, so always replace the stored token with this answer's. A number bound to
    another WeChat account answers 409.
    """
    kept = mp_service.bind_phone(session, customer, body.code)
    return _session_out(session, kept, new=False)


@router.get("/privacy-terms", response_model=schemas.PrivacyTermsOut, summary="The privacy terms to consent to")
def privacy_terms() -> schemas.PrivacyTermsOut:
    """The privacy terms (隐私政策) the customer reads before applying, and their version: an application
    carries `consent: {accepted: true, version}` with this version. Needs no sign-in, so the terms can be
    read before signing in."""
    return schemas.PrivacyTermsOut(version=get_settings().privacy_terms_version, title=terms.TITLE, text=terms.TEXT)


@router.get("/me", response_model=schemas.CustomerOut, summary="The signed-in customer")
def me(customer: CurrentCustomer, session: SessionDep) -> schemas.CustomerOut:
    """The signed-in customer, phone masked. An expired session answers 401: sign in again."""
    return _customer_out(session, customer)


# ---------------------------------------------------------------- products and applications


@router.get("/products", response_model=list[schemas.ProductOut], summary="Loan products and their forms")
def products(customer: CurrentCustomer, session: SessionDep) -> list[schemas.ProductOut]:
    """The active loan products, each with the form fields an application for it needs
    (type text, number, integer, money (yuan), choice, date or bool; `required`, `min`/`max`, `options`)."""
    return [schemas.ProductOut(code=p.code, name=p.name, form_fields=p.form_fields, form_version=p.form_version,
                               required_materials=customer_service.materials(p.required_materials))
            for p in customer_service.list_products(session)]


def _application_out(session, row: LoanApplication) -> schemas.ApplicationOut:
    product = session.get(LoanProduct, row.product_id)
    form = customer_service.get_form(session, row.form_id)
    fields = mp_service.form_fields_of(session, row)
    required = mp_service.required_materials_of(session, row)
    missing = customer_service.missing_materials(session, row.customer_id, required)
    return schemas.ApplicationOut(id=row.id, product_code=product.code, amount=from_fen(row.amount_fen),
                                  term_months=row.term_months, purpose=row.purpose,
                                  form_version=form.version if form else None, form_fields=fields,
                                  required_materials=customer_service.materials(required),
                                  missing_materials=customer_service.materials(missing),
                                  fields=forms.present(fields, row.fields),
                                  consent_version=row.consent_version, consent_at=row.consent_at,
                                  created_at=row.created_at)


@router.post("/applications", response_model=schemas.ApplicationOut, status_code=status.HTTP_201_CREATED,
             summary="Apply for a loan")
def apply(body: schemas.ApplicationIn, customer: CurrentCustomer, session: SessionDep,
          response: Response) -> schemas.ApplicationOut:
    """Send an application for a product with that product's form fields.

    Without `consent.accepted` for the current privacy terms' version nothing is stored (422 naming
    `consent.accepted` or `consent.version`). Every wrong field is named at once in `errors`
    (`custom_fields.<key>`, `amount`, `term_months`, `product_code`). Resending the same `request_id`
    answers the stored application with 200.
    """
    row, created = mp_service.submit_application(
        session, customer, request_id=body.request_id, consent_accepted=body.consent.accepted,
        consent_version=body.consent.version, product_code=body.product_code, amount=body.amount,
        term_months=body.term_months, purpose=body.purpose, fields=body.fields, name=body.name, city=body.city)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _application_out(session, row)


@router.get("/applications", response_model=list[schemas.ApplicationOut], summary="My applications")
def my_applications(customer: CurrentCustomer, session: SessionDep) -> list[schemas.ApplicationOut]:
    """The signed-in customer's applications, newest first."""
    return [_application_out(session, r) for r in mp_service.list_applications(session, customer.id)]


@router.get("/applications/{application_id}", response_model=schemas.ApplicationOut, summary="One application")
def my_application(application_id: Annotated[int, Path(ge=1)], customer: CurrentCustomer,
                   session: SessionDep) -> schemas.ApplicationOut:
    """One of the signed-in customer's applications; anyone else's answers 404."""
    return _application_out(session, mp_service.get_application(session, customer.id, application_id))


def _statement_out(row: SettlementStatement | None) -> schemas.StatementOut | None:
    if row is None:
        return None
    return schemas.StatementOut(settlement_id=row.settlement_id, order_id=row.order_id, product_code=row.product_code,
                                service_fee_collected=from_fen(row.service_fee_collected_fen),
                                disbursed_amount=from_fen(row.disbursed_amount_fen), closed_at=row.closed_at)


@router.get("/progress", response_model=schemas.ProgressOut, summary="Where my loan stands")
def my_progress(customer: CurrentCustomer, session: SessionDep) -> schemas.ProgressOut:
    """The stage of the customer's loan (submitted, reviewing, signed, processing, disbursed, settled) and,
    once it is settled, the settlement statement: service fee collected and amount disbursed."""
    state = mp_service.progress(session, customer)
    return schemas.ProgressOut(stage=state["stage"], steps=state["steps"], statement=_statement_out(state["statement"]))


# ---------------------------------------------------------------- documents


@router.post("/attachments", response_model=schemas.AttachmentOut, status_code=status.HTTP_201_CREATED,
             summary="Send a document (photo or PDF)",
             responses={413: {**ERROR_RESPONSES[413],
                              "description": "The file is over the size limit (20 MB unless set otherwise)"}},
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {
                 "example": {"kind": "id_card", "file": "(the photo's bytes, e.g. 身份证正面.jpg)"}}}}})
def upload_attachment(customer: CurrentCustomer, session: SessionDep,
                      file: Annotated[UploadFile, File(description="PDF, JPEG, PNG or HEIC (a photo from the album)")],
                      kind: Annotated[str, Form(description="id_card, credit_report, bank_statement, "
                                                            "property_deed or other")] = "other",
                      ) -> schemas.AttachmentOut:
    """Send one of the customer's own documents (身份证, 征信报告, 银行流水, 房产证 …) as `multipart/form-data`
    (`file`, `kind`; `wx.uploadFile` with `name: "file"` and `formData: {kind}`). Its type is told by its content:
    PDF, JPEG, PNG or HEIC; anything else is 422 on `file`, over the size limit 413. It is stored encrypted
    on the customer's record for their salesperson."""
    attachment = customer_service.upload_attachment(
        session, customer, data=file.file.read(get_settings().files_max_bytes + 1), filename=file.filename or "",
        kind=kind, by_customer=True)
    return schemas.AttachmentOut.model_validate(attachment)


@router.get("/attachment-kinds", response_model=list[schemas.AttachmentKindOut],
            summary="The kinds of document the API accepts")
def attachment_kinds(customer: CurrentCustomer) -> list[schemas.AttachmentKindOut]:
    """Every `kind` an upload may name, with its Chinese label, in the order the mini-program lists them."""
    return [schemas.AttachmentKindOut(kind=k, label=label) for k, label in ATTACHMENT_KIND_NAMES.items()
            if k in customer_service.ATTACHMENT_KINDS]


@router.get("/attachments", response_model=list[schemas.AttachmentOut], summary="My documents")
def my_attachments(customer: CurrentCustomer, session: SessionDep) -> list[schemas.AttachmentOut]:
    """The documents the customer sent, newest first."""
    return [schemas.AttachmentOut.model_validate(a)
            for a in customer_service.list_attachments(session, customer.id, by_customer=True)]


# ---------------------------------------------------------------- referral centre


def _yuan(values: dict[str, int]) -> dict:
    return {k: from_fen(v) for k, v in values.items()}


@router.get("/referral", response_model=schemas.ReferralCentreOut, summary="My referral code and balance")
def referral_centre(customer: CurrentCustomer, session: SessionDep) -> schemas.ReferralCentreOut:
    """The customer's referral code (made on first use), how many friends they brought, and their
    commissions in yuan by state with the amount they may withdraw now."""
    code = referral_service.code_for(session, customer)
    settings = get_settings()
    return schemas.ReferralCentreOut(
        code=code.code, scene=referral_service.scene_for(code),
        friends=len(referral_service.friends(session, customer.id)),
        balance=_yuan(referral_service.balance(session, customer.id)),
        withdraw_min=from_fen(settings.referral_withdraw_min_fen),
        withdraw_daily_limit=from_fen(settings.referral_withdraw_daily_limit_fen))


@router.get("/referral/qrcode", summary="My share card's mini-program code (PNG)", response_class=Response,
            responses={200: {"description": "The mini-program code image",
                             "content": {"image/png": {"example": "(PNG bytes)"}}}, **WX_ERRORS})
def referral_qrcode(customer: CurrentCustomer, session: SessionDep) -> Response:
    """A mini-program code (getwxacodeunlimit) that opens the referral landing page with the customer's
    scene `r=<code>`; a friend who signs in through it is referred by this customer."""
    return Response(mp_service.share_code(session, customer), media_type="image/png")


@router.post("/referral/wecom-code", response_model=schemas.WecomCodeOut, summary="My WeCom referral code")
def referral_wecom_code(customer: CurrentCustomer, session: SessionDep) -> schemas.WecomCodeOut:
    """A WeCom contact-way code for the customer's own salesperson whose `state` names the customer: a
    friend who adds the salesperson with it is referred by this customer. 409 until a salesperson is assigned."""
    channel = referral_service.wecom_channel_for(session, customer)
    return schemas.WecomCodeOut(state=channel.state, qr_code_url=channel.qr_code_url, status=channel.sync_status.value)


@router.get("/referral/friends", response_model=list[schemas.FriendOut], summary="Friends I referred")
def referral_friends(customer: CurrentCustomer, session: SessionDep) -> list[schemas.FriendOut]:
    """The customers this customer referred, names masked, with where their loan stands."""
    return [schemas.FriendOut(name=mask_name(friend.name) or "微信用户",
                              stage=mp_service.progress(session, friend)["stage"], referred_at=at)
            for friend, at in referral_service.friends(session, customer.id)]


def _commission_out(session, row: Commission) -> schemas.CommissionOut:
    friend = session.get(Customer, row.referred_customer_id)
    return schemas.CommissionOut(id=row.id, friend=mask_name(friend.name) if friend and friend.name else "微信用户",
                                 level=row.level, amount=from_fen(row.amount_fen), state=row.state.value,
                                 confirmed_at=row.confirmed_at, withdrawable_after=row.withdrawable_after,
                                 was_paid=row.was_paid)


@router.get("/referral/commissions", response_model=list[schemas.CommissionOut], summary="My commissions")
def referral_commissions(customer: CurrentCustomer, session: SessionDep) -> list[schemas.CommissionOut]:
    """The customer's commissions, newest first: pending (friend signed), confirmed (settled, cooling off),
    withdrawable, paid, reversed (refund or voided settlement; `was_paid` means it is owed back)."""
    return [_commission_out(session, c) for c in referral_service.commissions_of(session, customer.id)]


def _withdrawal_out(row: Withdrawal) -> schemas.WithdrawalOut:
    return schemas.WithdrawalOut(id=row.id, request_id=row.request_id, amount=from_fen(row.amount_fen),
                                 method=row.method.value, state=row.state.value, bank_card=mask_card(row.bank_card),
                                 requested_at=row.requested_at, paid_at=row.paid_at, reject_reason=row.reject_reason)


@router.post("/referral/withdrawals", response_model=schemas.WithdrawalOut, status_code=status.HTTP_201_CREATED,
             summary="Withdraw my commissions")
def request_withdrawal(body: schemas.WithdrawalIn, customer: CurrentCustomer, session: SessionDep,
                       response: Response) -> schemas.WithdrawalOut:
    """Ask to withdraw the available balance to WeChat balance (`wechat`) or a bank card in the customer's
    own name (`bank`). Whole commissions are withdrawn, oldest first, within the daily limit and less any
    amount owed back; under the minimum answers 422 on `amount`. Finance approves and pays.
    Resending the same `request_id` answers the same withdrawal with 200."""
    row, created = referral_service.request_withdrawal(
        session, customer, request_id=body.request_id, method=WithdrawalMethod(body.method),
        account_name=body.account_name, bank_name=body.bank_name, bank_card=body.bank_card)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _withdrawal_out(row)


@router.get("/referral/withdrawals", response_model=list[schemas.WithdrawalOut], summary="My withdrawals")
def my_withdrawals(customer: CurrentCustomer, session: SessionDep) -> list[schemas.WithdrawalOut]:
    """The customer's withdrawals, newest first; bank cards show their last four digits only."""
    return [_withdrawal_out(w) for w in referral_service.list_withdrawals(session, customer_id=customer.id)]


@router.get("/referral/withdrawals/{withdrawal_id}", response_model=schemas.WithdrawalOut,
            summary="One withdrawal")
def my_withdrawal(withdrawal_id: Annotated[int, Path(ge=1)], customer: CurrentCustomer,
                  session: SessionDep) -> schemas.WithdrawalOut:
    """One of the customer's withdrawals; anyone else's answers 404."""
    return _withdrawal_out(referral_service.get_withdrawal(session, withdrawal_id, customer_id=customer.id))
