"""A coordinator imports a project by sending its folder as a .zip, through the stand-in."""

from __future__ import annotations

import io
import zipfile

from PIL import Image
from sqlalchemy import func, select

from bot.app import Runtime
from people.models import AuditEntry
from tasks.models import WorkImage, WorkItem, WorkProject
from tests.e2e.conftest import Onboard
from tests.e2e.test_trust_coordination import _coordinator

SPEC = """\
id: fruit
kind: classification
requires: [image-labelling]
title: {en: Fruit, ar: فاكهة, fa_AF: میوه, uk: Фрукти}
instructions: {en: Pick the fruit., ar: اختيار الفاكهة., fa_AF: میوه را انتخاب کنید., uk: Оберіть.}
labels:
  - {id: apple, text: {en: Apple, ar: تفاح, fa_AF: سیب, uk: Яблуко}}
  - {id: pear, text: {en: Pear, ar: إجاص, fa_AF: ناک, uk: Груша}}
reward: {amount_minor: 3, currency: USD}
overlap: 3
max_overlap: 5
min_agreement: 0.6
gold_share: 0.1
min_gold_accuracy: 0.7
lease_seconds: 300
grace_seconds: 60
min_seconds: 1
aggregation: majority
items: items.csv
"""


def strip_isolates(text: str | None) -> str:
    return (text or "").translate({ord(c): None for c in "\u2066\u2067\u2068\u2069"})


def photo_with_gps() -> bytes:
    image = Image.new("RGB", (1600, 1200), (200, 30, 30))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (33.0, 30.0, 0.0)}  # GPS: where the picture was taken
    exif[0x0112] = 6  # orientation: turned
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def project_zip(rows: str, images: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("fruit/project.yaml", SPEC)
        archive.writestr("fruit/items.csv", "id,image,gold\n" + rows)
        for name, data in images.items():
            archive.writestr(f"fruit/{name}", data)
    return buffer.getvalue()


async def count(runtime: Runtime, model: type) -> int:
    async with runtime.sessions() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_a_broken_project_names_each_problem_and_imports_nothing(
    onboard: Onboard, runtime: Runtime
) -> None:
    _, coordinator = await _coordinator(onboard)
    rows = "a1,a1.jpg,apple\na2,missing.jpg,\na3,broken.jpg,\na4,a1.jpg,banana\na1,a1.jpg,\n"
    images = {"a1.jpg": photo_with_gps(), "broken.jpg": b"\xff\xd8\xff not really a jpeg"}
    await coordinator.send_document(project_zip(rows, images), "fruit.zip")
    reply = coordinator.last.text
    assert reply.startswith("Nothing was imported.")
    for row in (3, 4, 5, 6):
        assert f"items.csv:{row}:" in reply
    assert "/tmp" not in reply and "rafiq-import" not in reply
    assert await count(runtime, WorkProject) == 0 and await count(runtime, WorkItem) == 0


async def test_a_coordinator_imports_a_project_from_a_zip(
    onboard: Onboard, runtime: Runtime
) -> None:
    _, coordinator = await _coordinator(onboard)
    data = photo_with_gps()
    zipped = project_zip("a1,a1.jpg,apple\na2,a1.jpg,\n", {"a1.jpg": data})
    await coordinator.send_document(zipped, "fruit.zip")
    assert coordinator.last.text.startswith(
        "✅ Project fruit created. Items added: 2, already there: 0; images added: 1."
    )
    async with runtime.sessions() as session:
        [image] = (await session.execute(select(WorkImage))).scalars()
        entry = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "project_import"))
        ).scalar_one()
    assert entry.actor_id == 20 and entry.object == "fruit"
    stored = Image.open(io.BytesIO(image.data))
    assert not stored.getexif() and "exif" not in stored.info
    assert (stored.width, stored.height) == (768, 1024)  # turned upright, longest side 1024
    assert image.source_bytes == len(data) and len(image.data) < 80_000

    await coordinator.send_document(zipped, "fruit.zip")  # the same again: nothing new
    assert "updated. Items added: 0, already there: 2;" in coordinator.last.text
    assert await count(runtime, WorkItem) == 2


async def test_a_member_cannot_import(onboard: Onboard, runtime: Runtime) -> None:
    member = await onboard(50, "en")
    await member.send_document(project_zip("a1,a1.jpg,\n", {"a1.jpg": photo_with_gps()}), "x.zip")
    assert not member.last.text.startswith("⏳")
    assert await count(runtime, WorkProject) == 0


async def test_the_import_shows_its_progress_in_one_message(
    onboard: Onboard, runtime: Runtime
) -> None:
    _, coordinator = await _coordinator(onboard)
    rows = "".join(f"a{n},a1.jpg,\n" for n in range(1, 4))
    await coordinator.send_document(project_zip(rows, {"a1.jpg": photo_with_gps()}), "fruit.zip")

    status = coordinator.last
    shown = [
        e.message.text
        for e in coordinator.events
        if e.message is not None and e.message.message_id == status.message_id
    ]
    assert shown == [
        "⏳ Checking the project files…",
        "⏳ Checking the images: 1 of 1",
        "⏳ Saving the items: 3 of 3",
        "✅ Project fruit created. Items added: 3, already there: 0; images added: 1.\n"
        "The images took 30 KB as sent and 5 KB once prepared.",
    ]


async def test_the_import_progress_reads_right_to_left_in_arabic(
    onboard: Onboard, runtime: Runtime
) -> None:
    _, coordinator = await _coordinator(onboard, "ar")
    rows = "".join(f"a{n},a1.jpg,\n" for n in range(1, 4))
    await coordinator.send_document(project_zip(rows, {"a1.jpg": photo_with_gps()}), "fruit.zip")

    status = coordinator.last
    shown = [
        e.message.text
        for e in coordinator.events
        if e.message is not None and e.message.message_id == status.message_id
    ]
    assert "⏳ جارٍ حفظ العناصر: ٣ من ٣" in [strip_isolates(text) for text in shown]
    assert strip_isolates(shown[-1]).startswith("✅")
