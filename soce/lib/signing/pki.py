"""Certificats du cachet : chargement du PKCS#12 de l'association, racine de confiance, PKI de développement.

En production, SIGNING_PKCS12_PATH / SIGNING_PKCS12_PASSPHRASE désignent le certificat de cachet
de l'association et SIGNING_TRUST_ROOT_PATH la racine (PEM) de son autorité de certification.
En local et en test, `ensure_dev_pki()` fabrique une fois une racine et un certificat de cachet
(var/pki, ignoré par git) : ils ne prouvent rien hors de cette installation.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import timedelta
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.utils import timezone

DEV_ORGANISATION = "Société des ingénieurs Arts et Métiers (développement)"
_cache: dict[tuple, object] = {}


class SealUnavailable(RuntimeError):
    """The seal certificate cannot be loaded (missing file, wrong passphrase)."""


def _paths() -> tuple[Path, Path]:
    return Path(settings.SIGNING_PKCS12_PATH), Path(settings.SIGNING_TRUST_ROOT_PATH)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEV_ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _usage(*, sign_certs: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not sign_certs,
        content_commitment=not sign_certs,  # non-repudiation: what pyHanko asks of a signer
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=sign_certs,
        crl_sign=sign_certs,
        encipher_only=False,
        decipher_only=False,
    )


def ensure_dev_pki(*, force: bool = False) -> bool:
    """Creates the local root CA and seal certificate once (side effect: two files); True when created."""
    p12_path, root_path = _paths()
    if p12_path.exists() and root_path.exists() and not force:
        return False
    now = timezone.now()
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name("Soce — autorité racine de développement")
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(sign_certs=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    seal_key = ec.generate_private_key(ec.SECP256R1())
    seal = (
        x509.CertificateBuilder()
        .subject_name(_name("Soce — cachet électronique (développement)"))
        .issuer_name(root_name)
        .public_key(seal_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign_certs=False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(seal_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    passphrase = settings.SIGNING_PKCS12_PASSPHRASE.encode()
    bundle = pkcs12.serialize_key_and_certificates(
        b"soce-seal", seal_key, seal, [root], serialization.BestAvailableEncryption(passphrase)
    )
    # The root's private key is not kept: the dev CA issues this one certificate and nothing else.
    _write_atomic(root_path, root.public_bytes(serialization.Encoding.PEM))
    _write_atomic(p12_path, bundle)
    _cache.clear()
    return True


def _stamp(path: Path) -> tuple:
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise SealUnavailable(f"Fichier introuvable : {path} (lancez `manage.py ensure_dev_pki` en local).") from exc
    return (str(path), stat.st_mtime_ns, stat.st_size)


def load_signer():
    """The pyHanko signer of the association's seal (cached until the file changes)."""
    from pyhanko.sign import signers

    p12_path, _root = _paths()
    key = ("signer", *_stamp(p12_path))
    if key not in _cache:
        try:
            _cache[key] = signers.SimpleSigner.load_pkcs12_data(
                p12_path.read_bytes(), other_certs=[], passphrase=settings.SIGNING_PKCS12_PASSPHRASE.encode() or None
            )
        except ValueError as exc:
            raise SealUnavailable("Le certificat de cachet ne peut pas être ouvert (phrase secrète ?).") from exc
    return _cache[key]


def trust_root() -> asn1_x509.Certificate:
    """The root certificate that the verification trusts."""
    _p12, root_path = _paths()
    key = ("root", *_stamp(root_path))
    if key not in _cache:
        data = root_path.read_bytes()
        der = (
            x509.load_pem_x509_certificate(data).public_bytes(serialization.Encoding.DER) if b"-----" in data else data
        )
        _cache[key] = asn1_x509.Certificate.load(der)
    return _cache[key]


def trust_root_pem() -> bytes:
    """The root certificate in PEM, as published on /verifier/racine.pem for offline checks."""
    return x509.load_der_x509_certificate(trust_root().dump()).public_bytes(serialization.Encoding.PEM)


def fingerprint(der: bytes) -> str:
    """`AB:CD:…` SHA-256 fingerprint, as `openssl x509 -noout -fingerprint -sha256` prints it."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def trust_root_fingerprint() -> str:
    """The published fingerprint of the association's root certificate."""
    return fingerprint(trust_root().dump())


def trust_root_subject() -> str:
    return trust_root().subject.human_friendly


def seal_certificate_sha256() -> str:
    return hashlib.sha256(load_signer().signing_cert.dump()).hexdigest()
