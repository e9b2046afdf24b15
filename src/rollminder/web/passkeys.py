"""Passkeys (WebAuthn) through py_webauthn: the registration and authentication ceremonies.

The challenge of a ceremony travels in the signed session cookie (no state in a process that
another one would need) and is spent by the response that answers it. Passkeys are discoverable
("resident") credentials, so signing in needs no e-mail: the credential id names the account.
Attestation is "none": we trust the key, not a vendor's statement about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rollminder.errors import InvalidInput

#: Seconds a ceremony may take.
TIMEOUT_MS = 120_000


@dataclass(frozen=True)
class NewPasskey:
    id: bytes
    public_key: bytes
    sign_count: int


def registration_options(
    rp_id: str, user_id: bytes, email: str, existing: list[bytes]
) -> tuple[str, str]:
    """The options (JSON for navigator.credentials.create) and the challenge (base64url).
    ``user_id`` is the account's user handle (random bytes at sign-up: no account yet)."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers import bytes_to_base64url
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    options = generate_registration_options(
        rp_id=rp_id,
        rp_name="rollminder",
        user_name=email,
        user_id=user_id,
        user_display_name=email,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=i) for i in existing],
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def authentication_options(rp_id: str) -> tuple[str, str]:
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers import bytes_to_base64url

    options = generate_authentication_options(rp_id=rp_id, timeout=TIMEOUT_MS)
    return options_to_json(options), bytes_to_base64url(options.challenge)


def _challenge(challenge: object) -> bytes:
    from webauthn import base64url_to_bytes

    if not isinstance(challenge, str) or not challenge:
        raise InvalidInput("Start again: this passkey request has expired.")
    return base64url_to_bytes(challenge)


def verify_registration(credential: Any, challenge: object, rp_id: str, origin: str) -> NewPasskey:
    from webauthn import verify_registration_response
    from webauthn.helpers.exceptions import WebAuthnException

    expected = _challenge(challenge)
    try:
        found = verify_registration_response(
            credential=credential,
            expected_challenge=expected,
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise InvalidInput(f"The passkey was not accepted ({_first(exc)}).") from None
    return NewPasskey(found.credential_id, found.credential_public_key, found.sign_count)


def credential_id(credential: Any) -> bytes | None:
    """The raw id a response names (None if it names none)."""
    from webauthn import base64url_to_bytes

    if not isinstance(credential, dict) or not isinstance(credential.get("rawId"), str):
        return None
    try:
        return base64url_to_bytes(credential["rawId"])
    except ValueError:
        return None


def verify_authentication(
    credential: Any, challenge: object, rp_id: str, origin: str, *, public_key: bytes,
    sign_count: int,
) -> int:  # fmt: skip
    """Check an assertion; the authenticator's new signature count."""
    from webauthn import verify_authentication_response
    from webauthn.helpers.exceptions import WebAuthnException

    expected = _challenge(challenge)
    try:
        found = verify_authentication_response(
            credential=credential,
            expected_challenge=expected,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=public_key,
            credential_current_sign_count=sign_count,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise InvalidInput(f"The passkey was not accepted ({_first(exc)}).") from None
    return int(found.new_sign_count)


def _first(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:160]
    return text or type(exc).__name__
