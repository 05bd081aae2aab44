"""What the counter prints at acceptance (一窗受理), as printer jobs: the acceptance receipt
(受理回执), the one-time notice of what is still missing (一次性告知单) and the 容缺 commitment
the citizen signs (告知承诺书).

Layouts only: a job is a list of blocks (``drivers.escpos_printer.Job``: text, QR, rules),
which the ticket printer role turns into ESC/POS bytes and the printer simulator back into a
picture. What is on a receipt follows the 一次性告知 and 告知承诺 rules of the seeds
(../shared/seeds/): the receipt number to ask by, what was received, what is missing and by
when, the promised date, who accepted it and where. Personal data is masked: the name keeps
its family name and last character (张*明), the ID number its first 6 and last 4 characters;
the full values never go on paper the citizen may leave on a bench.
"""

from __future__ import annotations

import datetime as dt

from drivers.escpos_printer import Job
from kiosk.counter_ports import Missing, ReceiptFacts
from kiosk.domain.masking import mask_id_number, mask_name

Acceptance = ReceiptFacts
"""The facts of one accepted case, as the receipt and the notice show them."""


def _due(m: Missing) -> dt.date | None:
    """A 容缺 material's due date (ISO text on the way here), or None: not accepted without
    it. Text that is no date is printed with the material's note instead."""
    if not m.due:
        return None
    try:
        return dt.date.fromisoformat(m.due)
    except ValueError:
        return None


def _note(m: Missing) -> str:
    if m.due and _due(m) is None:  # shown as written rather than dropped
        return f"{m.note}；{m.due}" if m.note else m.due
    return m.note


def _date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _header(job: Job, title: str, title_en: str, a: Acceptance) -> None:
    job.text(a.site_name, align="center", bold=True)
    job.text(title, size=2, bold=True, align="center")
    job.text(title_en, align="center")
    if a.note:
        job.text(a.note, align="center", bold=True)
    job.rule()
    job.text(f"受理编号 Receipt No.: {a.receipt_no}", bold=True)
    job.text(f"申请人 Applicant: {mask_name(a.applicant_name)}  "
             f"{mask_id_number(a.applicant_id_number)}")
    if a.agent_name:
        job.text(f"代办人 Agent: {mask_name(a.agent_name)}")


def receipt_job(a: Acceptance) -> Job:
    """受理回执: what was accepted, what was received, what is still owed, when it is done."""
    job = Job()
    _header(job, "受理回执", "Acceptance receipt", a)
    job.text("办理事项 Items:")
    for name in a.items:
        job.text(f"  · {name}")
    job.text(f"已收材料 Received ({len(a.received)}):")
    for name in a.received:
        job.text(f"  ✓ {name}")
    for name in a.waived:
        job.text(f"  ○ {name}（免提交 / not needed）")
    deferred = [(m, due) for m in a.missing if (due := _due(m)) is not None]
    if deferred:
        job.text("容缺材料 To bring later:", bold=True)
        for m, due in deferred:
            job.text(f"  △ {m.name}：{_date(due)}前补交 / by {due.isoformat()}")
    if a.fee_yuan:
        job.text(f"收费 Fee: {a.fee_yuan:.2f} 元")
    if a.promised is not None:
        job.text(f"承诺办结 Done by: {_date(a.promised)}", bold=True)
    job.rule()
    job.text(f"受理窗口 Window: {a.window}号窗口   经办人 Clerk: {a.clerk}")
    job.text(f"受理时间 Accepted: {a.accepted_at:%Y-%m-%d %H:%M}")
    if a.query_url:
        job.text("扫码查询办理进度 / Scan to follow the case", align="center")
        job.qr(a.query_url, size_mm=28)
    job.text("请妥善保管本回执 / Keep this receipt", align="center")
    job.cut()
    return job


def notice_job(a: Acceptance) -> Job:
    """一次性告知单: exactly what is still needed, by when, in one go (no second trip to
    learn of a third paper)."""
    if not a.missing:
        raise ValueError("nothing is missing: there is no one-time notice to print")
    job = Job()
    _header(job, "一次性告知单", "What is still needed", a)
    job.text("您办理的事项还需补充以下材料 / Please bring:", bold=True)
    for n, m in enumerate(a.missing, 1):
        due = _due(m)
        when = f"，{_date(due)}前 / by {due.isoformat()}" if due else ""
        note = f"（{_note(m)}）" if _note(m) else ""
        job.text(f"{n}. {m.name}{note}{when}")
    job.rule()
    job.text("材料补齐后请带本告知单到窗口办理 / Bring this notice with the papers.")
    job.text(f"告知窗口 Window: {a.window}号窗口   经办人 Clerk: {a.clerk}")
    job.text(f"告知时间 Date: {a.accepted_at:%Y-%m-%d %H:%M}")
    job.cut()
    return job


def commitment_job(a: Acceptance) -> Job:
    """告知承诺书 for the 容缺 materials: the citizen promises to bring them by their date and
    signs; the counter scans the signed paper as the commitment."""
    deferred = [(m, due) for m in a.missing if (due := _due(m)) is not None]
    if not deferred:
        raise ValueError("no material is deferred (容缺): there is nothing to commit to")
    job = Job()
    _header(job, "容缺受理告知承诺书", "Commitment to supply", a)
    job.text("本人承诺在以下期限内补交材料，逾期未补交的，本次申请按不予受理处理。")
    job.text("I will bring these papers by the dates below; otherwise the application lapses.")
    for m, due in deferred:
        job.text(f"  · {m.name}：{_date(due)}前")
    job.feed(2)
    job.text("承诺人签字 Signature: ________________")
    job.feed(1)
    job.text("日期 Date: ____年____月____日")
    job.cut()
    return job
