"""Who acts, what they may see and link, and the sync quotas: parsed from the environment, refused clearly."""

from __future__ import annotations

import pytest

from connectors_pipeline.domain.errors import ConfigurationError, PolicyError
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.domain.principal import LOCAL_OPERATOR, AccountScope, Principal, Role
from connectors_pipeline.domain.quotas import SyncQuotas


def test_without_settings_the_person_is_the_local_operator():
    assert Principal.from_env({}) == LOCAL_OPERATOR == Principal("default", "local", Role.ADMIN)


def test_a_member_sees_their_own_accounts_and_an_admin_the_whole_tenant():
    member = Principal.from_env({"CONNECTORS_TENANT": "acme", "CONNECTORS_USER": "ann", "CONNECTORS_ROLE": "member"})
    admin = Principal.from_env({"CONNECTORS_TENANT": "acme", "CONNECTORS_USER": "amos", "CONNECTORS_ROLE": "Admin "})

    assert member.scope == AccountScope("acme", "ann")
    assert admin.scope == AccountScope("acme", None)


def test_an_unknown_role_is_refused_naming_the_known_ones():
    with pytest.raises(ConfigurationError, match="CONNECTORS_ROLE must be one of member, admin, got 'owner'"):
        Principal.from_env({"CONNECTORS_ROLE": "owner"})
    with pytest.raises(ConfigurationError, match="ORG_CONNECTORS_ACCOUNT_LINKING_ROLE must be one of"):
        OrgPolicy.from_env({"ORG_CONNECTORS_ACCOUNT_LINKING_ROLE": "superuser"})


@pytest.mark.parametrize(
    ("required", "role", "allowed"),
    [
        (None, Role.MEMBER, True),
        ("member", Role.MEMBER, True),
        ("member", Role.ADMIN, True),
        ("admin", Role.ADMIN, True),
        ("admin", Role.MEMBER, False),
    ],
)
def test_the_linking_role_admits_that_role_and_those_above_it(required, role, allowed):
    env = {"ORG_CONNECTORS_ACCOUNT_LINKING_ROLE": required} if required else {}
    policy = OrgPolicy.from_env(env)
    person = Principal("acme", "ann", role)

    if allowed:
        policy.check_linking(person)
    else:
        with pytest.raises(PolicyError, match="connecting accounts needs the admin role .* you have the member role"):
            policy.check_linking(person)


def test_the_linking_role_does_not_change_how_items_are_judged():
    # A cursor remembers the policy fingerprint; who may connect has nothing to do with the items.
    assert OrgPolicy(account_linking_role=Role.ADMIN).fingerprint() == OrgPolicy().fingerprint()
    assert OrgPolicy(max_file_size_bytes=1).fingerprint() != OrgPolicy().fingerprint()


def test_quotas_are_unlimited_unless_set():
    assert SyncQuotas.from_env({}) == SyncQuotas(None, None)
    env = {"CONNECTORS_MAX_FILES_PER_JOB": "500", "CONNECTORS_MAX_CONCURRENT_JOBS_PER_USER": " 2 "}
    assert SyncQuotas.from_env(env) == SyncQuotas(max_files_per_job=500, max_concurrent_jobs_per_user=2)


@pytest.mark.parametrize("raw", ["0", "-3", "many", "2.5"])
def test_a_quota_that_could_never_let_a_sync_progress_is_refused(raw):
    with pytest.raises(ConfigurationError, match="CONNECTORS_MAX_FILES_PER_JOB must be a whole number of at least 1"):
        SyncQuotas.from_env({"CONNECTORS_MAX_FILES_PER_JOB": raw})
