"""The token cipher: AES-GCM bound to the account, key ring rotation, the demo key file's permissions."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from connectors_pipeline.domain.errors import ConfigurationError
from connectors_pipeline.settings import Settings
from connectors_pipeline.store import CredentialDecryptError, KeyRing, load_or_create_demo_keyring
from connectors_pipeline.store.cipher import key_id_of, resolve_keyring


def ring(*keys: str) -> KeyRing:
    parsed = KeyRing.from_env(",".join(keys))
    assert parsed is not None
    return parsed


def test_roundtrip_uses_newest_key_and_a_versioned_format():
    new, old = KeyRing.generate_key(), KeyRing.generate_key()
    keys = ring(new, old)
    token = keys.encrypt("secret text", "default/google_drive/google_drive-0123456789ab")

    version, key_id, _ = token.split(":")
    assert version == "v1"
    assert key_id == keys.newest_key_id == key_id_of(base64.urlsafe_b64decode(new))
    assert "secret text" not in token
    assert keys.decrypt(token, "default/google_drive/google_drive-0123456789ab") == "secret text"


def test_same_plaintext_encrypts_differently_each_time():
    keys = ring(KeyRing.generate_key())
    assert keys.encrypt("x", "aad") != keys.encrypt("x", "aad")


def test_other_associated_data_fails_to_decrypt():
    keys = ring(KeyRing.generate_key())
    token = keys.encrypt("secret", "default/google_drive/google_drive-aaaaaaaaaaaa")
    with pytest.raises(CredentialDecryptError) as excinfo:
        keys.decrypt(token, "default/google_drive/google_drive-bbbbbbbbbbbb")
    assert "secret" not in str(excinfo.value)


def test_old_key_still_decrypts_and_a_missing_key_is_named_by_id_only():
    old = KeyRing.generate_key()
    token = ring(old).encrypt("secret", "aad")
    assert ring(KeyRing.generate_key(), old).decrypt(token, "aad") == "secret"

    other = KeyRing.generate_key()
    with pytest.raises(CredentialDecryptError) as excinfo:
        ring(other).decrypt(token, "aad")
    assert ring(old).newest_key_id in str(excinfo.value)
    assert old not in str(excinfo.value) and other not in str(excinfo.value)


@pytest.mark.parametrize("value", [None, "", " , "])
def test_no_keys_means_no_keyring(value):
    assert KeyRing.from_env(value) is None


def test_a_malformed_key_is_reported_by_position_without_its_value():
    bad = "not-a-key-but-maybe-a-password"
    with pytest.raises(ConfigurationError) as excinfo:
        KeyRing.from_env(f"{KeyRing.generate_key()},{bad}")
    assert "#2" in str(excinfo.value)
    assert bad not in str(excinfo.value)
    short = base64.urlsafe_b64encode(b"x" * 16).decode()
    with pytest.raises(ConfigurationError):
        KeyRing.from_env(short)


def test_repr_shows_key_ids_not_keys():
    key = KeyRing.generate_key()
    assert key not in repr(ring(key))


def test_tampered_token_fails_cleanly():
    keys = ring(KeyRing.generate_key())
    token = keys.encrypt("secret", "aad")
    for broken in (token[:-4] + "AAAA", "v2" + token[2:], "garbage", token.replace(":", "", 1)):
        with pytest.raises(CredentialDecryptError):
            keys.decrypt(broken, "aad")


def test_demo_key_file_is_created_owner_only_and_reused(tmp_path: Path):
    path = tmp_path / "home" / "keys" / "demo.key"
    first = load_or_create_demo_keyring(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_or_create_demo_keyring(path).newest_key_id == first.newest_key_id
    assert [p.name for p in path.parent.iterdir()] == ["demo.key"]  # no temporary file left


def test_resolve_keyring_prefers_env_then_existing_demo_file(tmp_path: Path):
    env_key = KeyRing.generate_key()
    with_env = Settings.from_env({"CONNECTORS_HOME": str(tmp_path), "CONNECTORS_ENCRYPTION_KEYS": env_key})
    without = Settings.from_env({"CONNECTORS_HOME": str(tmp_path)})

    resolved = resolve_keyring(with_env, allow_demo_key=True)
    assert resolved is not None and resolved.newest_key_id == ring(env_key).newest_key_id
    assert not without.demo_key_file.exists()

    assert resolve_keyring(without, allow_demo_key=False) is None
    created = resolve_keyring(without, allow_demo_key=True)
    assert created is not None and without.demo_key_file.exists()
    # Once the demo key exists it is used even where creating one is not allowed (e.g. Dagster runs).
    reused = resolve_keyring(without, allow_demo_key=False)
    assert reused is not None and reused.newest_key_id == created.newest_key_id
