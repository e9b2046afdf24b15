"""HTTP sign-in for the CalDAV client: reading ``WWW-Authenticate`` challenges (RFC 9110), and
answering them with HTTP Digest (RFC 7616: MD5 or SHA-256, plain or ``-sess``, qop ``auth`` or
``auth-int``, and RFC 2069/2617 servers without qop) or Basic (RFC 7617)."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_SCHEME = re.compile(_TOKEN)
_PARAM = re.compile(rf'\s*({_TOKEN})\s*=\s*("(?:[^"\\]|\\.)*"|{_TOKEN})\s*')
_TOKEN68 = re.compile(r"\s+[A-Za-z0-9._~+/-]+=*\s*(?=,|$)")
_SEPARATORS = re.compile(r"[\s,]*")
_UNQUOTE = re.compile(r"\\(.)")


@dataclass
class Challenge:
    """One challenge of a ``WWW-Authenticate`` header: its scheme (lower case) and parameters
    (names in lower case, values unquoted)."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)
    name: str = ""  # the scheme as the server spelt it


def parse_challenges(values: Sequence[str]) -> list[Challenge]:
    """Every challenge in the ``WWW-Authenticate`` header values, in order (RFC 9110 11.6.1:
    several challenges may share one header, and a quoted value may hold commas)."""
    out: list[Challenge] = []
    for text in values:
        i, n = 0, len(text)
        current: Challenge | None = None
        while True:
            i = _SEPARATORS.match(text, i).end()  # type: ignore[union-attr]  # always matches
            if i >= n:
                break
            param = _PARAM.match(text, i) if current is not None else None
            if param is not None and current is not None:
                value = param.group(2)
                if value.startswith('"'):
                    value = _UNQUOTE.sub(r"\1", value[1:-1])
                current.params.setdefault(param.group(1).lower(), value)
                i = param.end()
                continue
            scheme = _SCHEME.match(text, i)
            if scheme is None:
                break  # not a header we can read further
            current = Challenge(scheme.group(0).lower(), name=scheme.group(0))
            out.append(current)
            i = scheme.end()
            token68 = _TOKEN68.match(text, i)
            if token68 is not None and _PARAM.match(text, i) is None:
                i = token68.end()
    return out


#: Digest algorithms (RFC 7616 section 3.3) and their hashlib names.
DIGEST_HASHES = {"MD5": "md5", "SHA-256": "sha256"}
SCHEME_NAMES = {"basic": "Basic", "digest": "Digest"}


def digest_algorithm(challenge: Challenge) -> str | None:
    """The challenge's algorithm as rollminder speaks it ('MD5', 'SHA-256-sess'...), or None."""
    algorithm = challenge.params.get("algorithm", "MD5").strip().upper()
    base = algorithm.removesuffix("-SESS")
    return algorithm.replace("-SESS", "-sess") if base in DIGEST_HASHES else None


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class Digest:
    """The answers to one Digest challenge: a new ``Authorization`` header per request, with the
    nonce count going up (RFC 7616 section 3.4)."""

    challenge: Challenge
    user: str
    password: str
    count: int = 0
    cnonce: str = ""

    def _hash(self, data: str | bytes) -> str:
        algorithm = digest_algorithm(self.challenge) or "MD5"
        name = DIGEST_HASHES[algorithm.removesuffix("-sess")]
        raw = data.encode("utf-8") if isinstance(data, str) else data
        return hashlib.new(name, raw).hexdigest()

    def qop(self) -> str | None:
        offered = [q.strip().lower() for q in self.challenge.params.get("qop", "").split(",")]
        if "auth" in offered:
            return "auth"
        if "auth-int" in offered:
            return "auth-int"
        return None  # RFC 2069 style (no qop)

    def header(self, method: str, uri: str, body: bytes = b"") -> str:
        p = self.challenge.params
        realm, nonce = p.get("realm", ""), p.get("nonce", "")
        algorithm = digest_algorithm(self.challenge) or "MD5"
        qop = self.qop()
        self.count += 1
        if qop is not None or algorithm.endswith("-sess"):
            self.cnonce = self.cnonce or secrets.token_hex(16)  # one per nonce
        nc = f"{self.count:08x}"
        ha1 = self._hash(f"{self.user}:{realm}:{self.password}")
        if algorithm.endswith("-sess"):
            ha1 = self._hash(f"{ha1}:{nonce}:{self.cnonce}")
        a2 = f"{method}:{uri}"
        if qop == "auth-int":
            a2 += ":" + self._hash(body)
        ha2 = self._hash(a2)
        if qop is None:
            response = self._hash(f"{ha1}:{nonce}:{ha2}")
        else:
            response = self._hash(f"{ha1}:{nonce}:{nc}:{self.cnonce}:{qop}:{ha2}")
        user = self.user
        hashed = p.get("userhash", "").lower() == "true"
        if hashed:
            user = self._hash(f"{self.user}:{realm}")
        parts = [
            f"username={_quote(user)}",
            f"realm={_quote(realm)}",
            f"nonce={_quote(nonce)}",
            f"uri={_quote(uri)}",
            f"response={_quote(response)}",
        ]
        if "algorithm" in p:
            parts.append(f"algorithm={algorithm}")
        if qop is not None:
            parts += [f"qop={qop}", f"nc={nc}", f"cnonce={_quote(self.cnonce)}"]
        elif algorithm.endswith("-sess"):
            parts.append(f"cnonce={_quote(self.cnonce)}")
        if "opaque" in p:
            parts.append(f"opaque={_quote(p['opaque'])}")
        if hashed:
            parts.append("userhash=true")
        return "Digest " + ", ".join(parts)


def choose(challenges: Sequence[Challenge]) -> Challenge | None:
    """The challenge to answer: the first Digest one whose algorithm rollminder speaks (RFC 7616
    section 3.7: the server lists them in its order of preference), else Basic."""
    for c in challenges:
        if c.scheme == "digest" and digest_algorithm(c) is not None and c.params.get("nonce"):
            return c
    for c in challenges:
        if c.scheme == "basic":
            return c
    return None


def _offered(challenges: Sequence[Challenge]) -> str:
    names = []
    for c in challenges:
        name = SCHEME_NAMES.get(c.scheme, c.name or c.scheme)
        if c.scheme == "digest":
            name += f" {c.params.get('algorithm', 'MD5')}"
        if name not in names:
            names.append(name)
    return ", ".join(names) or "none named"
