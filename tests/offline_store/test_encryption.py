"""Personal data at rest: never in clear in the database, its WAL or the blob files; sealed
values bound to their record and column; crypto-shredding that nobody can undo."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest

from offline_store import cases, outbox, ratings, retention, tickets, unresolved
from offline_store.clock import FixedClock
from offline_store.crypto import (
    AES_256_GCM,
    SM4_GCM,
    KeyRing,
    load_site_key,
    normalise_id_number,
    open_sealed,
    seal,
    sealed_alg,
)
from offline_store.errors import (
    DecryptionFailed,
    KeyShredded,
    SiteKeyInsecure,
    SiteKeyMismatch,
    SiteKeyMissing,
)
from offline_store.site import Site, init_site

NAME = "欧阳秀兰"
ID_NUMBER = "11010519491231002X"
ADDRESS = "北京市东城区景山前街4号"
PHONE = "13912345678"


def _files_bytes(data_dir: Path) -> dict[str, bytes]:
    """Every file a thief with the disk would get: store, WAL, shm, blobs, temp files."""
    return {str(p): p.read_bytes() for p in data_dir.rglob("*") if p.is_file()
            and p.name != "site.key"}


def _needles() -> list[bytes]:
    found = []
    for text in (NAME, ID_NUMBER, ADDRESS, PHONE, ID_NUMBER[:17]):
        for encoding in ("utf-8", "gb18030", "utf-16-le"):
            found.append(text.encode(encoding))
    return found


def _write_personal_records(site: Site) -> dict[str, str]:
    person = {"name": NAME, "id_number": ID_NUMBER, "address": ADDRESS, "phone": PHONE}
    ticket = tickets.issue(site, service_day="2026-11-24", category="A", channel="kiosk",
                           holder={"name": NAME, "id_number": ID_NUMBER})
    case = cases.add_case(
        site, site_code="T0001", local_day=dt.date(2026, 11, 24), applicant=person,
        agent={"name": NAME + "女儿", "relationship": "女儿", "id_number": ID_NUMBER},
        item_codes=["SMP-SHBZ-001"], catalogue_version="test",
        materials=[cases.MaterialRecord(
            "M001", "captured",
            # A "scan" whose pixels spell the person's data, as an ID card copy would.
            [f"{NAME} {ID_NUMBER} {ADDRESS}".encode() * 200])],
    )
    with site.store.write() as conn:
        rating = ratings.add_rating(
            conn, site, level=1, channel="terminal", reasons=["R01"], case_id=case["id"],
            private={"name": NAME, "phone": PHONE, "id_number": ID_NUMBER,
                     "text": f"{NAME}住{ADDRESS}，等了两个小时"},
            rectification={"stage": "verify", "deadline": "2026-12-15", "status": "open"})
        request = unresolved.add_request(
            conn, site, requester=person, what="迁户口", why="缺少原籍证明",
            escalation="centre", stage="open", deadline="2026-12-01")
    return {"ticket": ticket["id"], "case": case["id"], "rating": rating["id"],
            "request": request["id"]}


@pytest.mark.parametrize("cipher", [AES_256_GCM, SM4_GCM])
def test_no_plaintext_personal_data_in_any_file(tmp_path: Path, cipher: str) -> None:
    clock = FixedClock(dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC))
    site, _ = init_site(tmp_path / "site", cipher=cipher, clock=clock)
    with site:
        ids = _write_personal_records(site)
        # Still readable through the key: the test is not passing because nothing was written.
        assert cases.read_case(site, ids["case"])["applicant"]["address"] == ADDRESS
        assert tickets.holder(site, ids["ticket"])["id_number"] == ID_NUMBER
        assert ratings.read_private(site, ids["rating"])["phone"] == PHONE
        assert unresolved.read_requester(site, ids["request"])["name"] == NAME
        files = _files_bytes(tmp_path / "site")
        assert any(name.endswith("-wal") for name in files), "the WAL must be inspected too"
        assert any("/blobs/" in name for name in files)
        for name, content in files.items():
            for needle in _needles():
                assert needle not in content, f"{needle!r} found in clear in {name}"
        row = site.store.query("SELECT applicant FROM cases")[0]
        assert sealed_alg(row["applicant"]) == cipher


def test_blind_index_finds_records_whatever_the_id_number_looks_like(site: Site) -> None:
    ids = _write_personal_records(site)
    variants = [ID_NUMBER, ID_NUMBER.lower(), "１１０１０５１９４９１２３１００２ｘ",
                " 110105 19491231 002X "]
    for variant in variants:
        assert normalise_id_number(variant) == ID_NUMBER
        assert [r["id"] for r in cases.find_by_id_number(site, variant)] == [ids["case"]]
    assert [t["id"] for t in tickets.find_by_id_number(site, ID_NUMBER, "2026-11-24")] == [
        ids["ticket"]]
    assert cases.find_by_id_number(site, "110105194912310011") == []


def test_sealed_value_is_bound_to_its_record_and_column(site: Site) -> None:
    ids = _write_personal_records(site)
    other = cases.add_case(
        site, site_code="T0001", local_day=dt.date(2026, 11, 24),
        applicant={"name": "张三", "id_number": "110105194912310021"},
        item_codes=["X"], catalogue_version="test", materials=[])
    with site.store.write() as conn:  # an attacker with write access swaps two ciphertexts
        conn.execute("UPDATE cases SET applicant = (SELECT applicant FROM cases WHERE id = ?)"
                     " WHERE id = ?", (ids["case"], other["id"]))
    with pytest.raises(DecryptionFailed):
        cases.read_case(site, other["id"])
    row = site.store.query("SELECT key_id, agent FROM cases WHERE id = ?", [ids["case"]])[0]
    dk = site.data_key(row["key_id"])
    with pytest.raises(DecryptionFailed):  # the agent column is not the applicant column
        dk.decrypt(row["agent"], f"cases.applicant|{ids['case']}")


@pytest.mark.parametrize("cipher", [AES_256_GCM, SM4_GCM])
def test_seal_detects_every_flipped_bit_class(cipher: str) -> None:
    key = os.urandom(32 if cipher == AES_256_GCM else 16)
    sealed = seal(cipher, key, "张三".encode(), b"ctx")
    assert open_sealed(key, sealed, b"ctx") == "张三".encode()
    for position in (2, 14, len(sealed) - 1):  # nonce, body, tag
        broken = bytearray(sealed)
        broken[position] ^= 1
        with pytest.raises(DecryptionFailed):
            open_sealed(key, bytes(broken), b"ctx")
    with pytest.raises(DecryptionFailed):
        open_sealed(key, sealed, b"other context")
    assert seal(cipher, key, b"x", b"") != seal(cipher, key, b"x", b"")  # fresh nonce


def test_crypto_shredding_cannot_be_undone(tmp_path: Path) -> None:
    clock = FixedClock(dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC))
    data_dir = tmp_path / "site"
    site, _ = init_site(data_dir, clock=clock)
    ids = _write_personal_records(site)
    wrapped_before = site.store.query(
        "SELECT wrapped FROM data_keys k JOIN cases c ON c.key_id = k.key_id")[0]["wrapped"]
    sealed_applicant = site.store.query("SELECT applicant FROM cases")[0]["applicant"]
    page_shas = [r["blob_sha256"] for r in site.store.query("SELECT blob_sha256 FROM case_pages")]
    acked = outbox.claim(site.store, clock)
    outbox.ack(site.store, clock, [(op.op_id, "COUNTY-1") for op in acked])
    site.store.checkpoint()  # as SQLite's auto-checkpoint would: the key now sits in the file

    clock.advance(days=29)
    assert retention.purge_acknowledged(site, grace_days=30) == []  # grace not over
    clock.advance(days=2)
    assert set(retention.purge_acknowledged(site, grace_days=30)) == {ids["case"], ids["ticket"]}
    # A copy of the disk of the running machine: store, WAL and free pages.
    for name, content in _files_bytes(data_dir).items():
        assert wrapped_before not in content, f"the destroyed key survives in {name}"
    site.close()

    # The same site key, a fresh process: the data is gone for good.
    with Site.open(data_dir, clock=clock) as again:
        with pytest.raises(KeyShredded):
            cases.read_case(again, ids["case"])
        with pytest.raises(KeyShredded):
            tickets.holder(again, ids["ticket"])
        case_key = again.store.query("SELECT key_id FROM cases")[0]["key_id"]
        # Even with the site key's KEK, no copy of the wrapped key is left to unwrap.
        for name, content in _files_bytes(data_dir).items():
            assert wrapped_before not in content, f"the destroyed key survives in {name}"
        assert all(not again.blobs.exists(sha) for sha in page_shas)
        # Trying every data key still present cannot open the sealed applicant.
        for row in again.store.query("SELECT key_id, alg, wrapped FROM data_keys"
                                     " WHERE wrapped IS NOT NULL"):
            dk = again.keys.unwrap(row["key_id"], row["alg"], row["wrapped"])
            with pytest.raises(DecryptionFailed):
                dk.decrypt(sealed_applicant, f"cases.applicant|{ids['case']}")
        audit = again.store.query(
            "SELECT action, subject, detail FROM audit_log WHERE action = 'key.shredded'")
        assert {a["subject"] for a in audit} >= {case_key}
        for entry in again.store.query("SELECT * FROM audit_log"):
            assert NAME not in str(entry) and ID_NUMBER not in str(entry)


def test_unacknowledged_records_are_never_shredded(site: Site, clock: FixedClock) -> None:
    _write_personal_records(site)
    clock.advance(days=400)
    assert retention.purge_acknowledged(site, grace_days=30) == []
    batch = outbox.claim(site.store, clock)
    outbox.retry_later(site.store, clock, [op.op_id for op in batch], "link down")
    clock.advance(days=400)
    assert retention.purge_acknowledged(site, grace_days=30) == []


def test_site_key_file_must_be_owner_only(tmp_path: Path) -> None:
    site, _ = init_site(tmp_path / "site")
    site.close()
    key_file = tmp_path / "site" / "site.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key_file.chmod(0o644)
    with pytest.raises(SiteKeyInsecure) as caught:
        Site.open(tmp_path / "site")
    assert "0600" in str(caught.value) and "0644" in str(caught.value)


def test_missing_key_is_never_replaced(tmp_path: Path) -> None:
    site, _ = init_site(tmp_path / "site")
    site.close()
    (tmp_path / "site" / "site.key").unlink()
    with pytest.raises(SiteKeyMissing) as caught:
        init_site(tmp_path / "site")
    assert "不要重新生成" in str(caught.value) and "do not make a new one" in str(caught.value)
    assert not (tmp_path / "site" / "site.key").exists()


def test_wrong_key_is_refused(tmp_path: Path) -> None:
    site, _ = init_site(tmp_path / "site")
    site.close()
    (tmp_path / "site" / "site.key").write_text(os.urandom(32).hex())
    with pytest.raises(SiteKeyMismatch):
        Site.open(tmp_path / "site")


def test_systemd_credential_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site, _ = init_site(tmp_path / "site")
    site.close()
    key_file = tmp_path / "site" / "site.key"
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "bianmin-site-key").write_bytes(key_file.read_bytes())
    key_file.unlink()
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    assert load_site_key(key_file) == bytes.fromhex((creds / "bianmin-site-key").read_text())
    Site.open(tmp_path / "site").close()


def test_sm4_store_uses_sm3_blind_index(tmp_path: Path) -> None:
    site, _ = init_site(tmp_path / "site", cipher=SM4_GCM)
    with site:
        assert site.keys.index_hash == "sm3"
        ring = KeyRing(b"\x01" * 32, SM4_GCM, "sm3")
        assert ring.blind_index(ID_NUMBER) != KeyRing(b"\x01" * 32).blind_index(ID_NUMBER)
