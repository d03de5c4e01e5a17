"""HTTPS through the socket transports: verified by default, against a CA made for the test."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .rawserver import RawServer


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A throwaway CA and a server certificate it signed for 127.0.0.1 and localhost."""
    folder = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("craftapis test CA"))
        .issuer_name(_name("craftapis test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = {"ca": folder / "ca.pem", "cert": folder / "cert.pem", "key": folder / "key.pem"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


@pytest.fixture
def tls_server(certificates: dict[str, Path]) -> Iterator[RawServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates["cert"], certificates["key"])
    context.set_alpn_protocols(["http/1.1"])
    server = RawServer(tls=context).start()
    try:
        yield server
    finally:
        server.stop()


def _trusting(certificates: dict[str, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificates["ca"]))


async def test_https_with_a_trusted_ca(
    make_client: Any, tls_server: RawServer, certificates: dict[str, Path]
) -> None:
    client = make_client(verify=_trusting(certificates))
    for _ in range(3):
        assert (await client.get(tls_server.url + "/v2/project/x")).json() == {"ok": True}
    assert tls_server.connections == 1  # TLS connections are kept alive too
    assert tls_server.requests[0][0].startswith(b"GET /v2/project/x HTTP/1.1")


async def test_https_by_hostname_uses_sni(
    make_client: Any, tls_server: RawServer, certificates: dict[str, Path]
) -> None:
    client = make_client(verify=_trusting(certificates))
    response = await client.get(f"https://localhost:{tls_server.port}/")
    assert response.json() == {"ok": True}


async def test_verification_is_on_by_default(make_client: Any, tls_server: RawServer) -> None:
    client = make_client()  # certifi (or SSL_CERT_FILE): the test CA is unknown
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        await client.get(tls_server.url)
    assert tls_server.requests == []


async def test_hostname_mismatch_is_refused(
    make_client: Any, tls_server: RawServer, certificates: dict[str, Path]
) -> None:
    client = make_client(verify=_trusting(certificates))
    with pytest.raises(httpx.ConnectError, match=r"CERTIFICATE_VERIFY_FAILED|match"):
        # the certificate names localhost and 127.0.0.1, not this name (SNI and the check use it)
        await client.request("GET", tls_server.url, extensions={"sni_hostname": "api.modrinth.com"})


async def test_verify_false_skips_verification(make_client: Any, tls_server: RawServer) -> None:
    client = make_client(verify=False)
    assert (await client.get(tls_server.url)).json() == {"ok": True}


async def test_large_body_over_tls(
    make_client: Any, tls_server: RawServer, certificates: dict[str, Path]
) -> None:
    from .rawserver import Raw

    body = bytes(range(256)) * 20_000  # ~5 MB, streamed past the one-piece limit
    tls_server.script(Raw(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body) + body))
    client = make_client(verify=_trusting(certificates))
    assert (await client.get(tls_server.url)).content == body
