"""Make the two digit demo projects from the handwritten digits scikit-learn bundles.

The digits are the test set of the UCI "Optical Recognition of Handwritten Digits" data set
(E. Alpaydin, C. Kaynak, 1998; CC BY 4.0): 8x8 greyscale pictures of real handwriting, each with
its true label. scikit-learn is not a dependency of Rafiq; run this once in a throwaway venv:

    python3 -m venv /tmp/skvenv && /tmp/skvenv/bin/pip install scikit-learn pillow
    /tmp/skvenv/bin/python tasks/demo_tools/make_digits.py

It writes (deterministically; the same files every run):

    tasks/projects/handwritten-digits/images/*.png, items.csv
    tasks/projects/digit-check/images/*.png, items.csv
    tasks/demo_tools/digits_truth.csv        true label of every non-gold digit item
    tasks/demo_tools/digit_check_truth.csv   true answer (yes/no) of every non-gold check item

The true labels of non-gold items stay out of the items files (workers' answers are what label
them); the truth files are for simulating workers and measuring the aggregation.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits

ROOT = Path(__file__).resolve().parents[2]
DIGITS = ROOT / "tasks" / "projects" / "handwritten-digits"
CHECK = ROOT / "tasks" / "projects" / "digit-check"
TOOLS = ROOT / "tasks" / "demo_tools"

PER_DIGIT = 30  # 300 digit items
GOLD_PER_DIGIT = 3  # 30 gold items (10%)
CHECK_ITEMS = 60
CHECK_GOLD = 6  # 3 right suggestions, 3 wrong ones
MODEL_ERROR_RATE = 0.3  # share of check items whose suggestion is wrong
CELL = 14  # each of the 8x8 cells becomes 14x14 pixels
MARGIN = 8  # white border, pixels: 8 + 8 * 14 + 8 = 128
SEED = 20240607

LOCALES = ("en", "ar", "fa_AF", "uk")
ARABIC = "٠١٢٣٤٥٦٧٨٩"
PERSIAN = "۰۱۲۳۴۵۶۷۸۹"

# How each digit looks when written by hand (the pictures show Western digits in every language).
SHAPE = {
    "en": [
        "one closed oval, empty inside, with no stroke across the middle.",
        "one upright stroke, sometimes with a small flag at the top.",
        "a curved top, a slanted stroke down and a flat line at the bottom.",
        "two bumps open on the left, one above the other.",
        "a short stroke down meets a crossbar, and a long straight stroke runs down on the right;"
        " the top is often open.",
        "a flat bar at the top, a short stroke down and a round belly open on the left.",
        "a curved stroke comes down from the top and ends in a closed loop at the bottom.",
        "a bar across the top and one long slanted stroke down, with no loop.",
        "two closed loops, one above the other.",
        "a closed loop at the top and a stroke going down from its right side.",
    ],
    "ar": [
        "شكل بيضوي مغلق فارغ من الداخل، لا يقطعه أي خط.",
        "خط واحد قائم، وقد تكون في أعلاه شَرطة صغيرة.",
        "أعلاه منحنٍ، ثم خط مائل نازل، ثم خط مستوٍ في الأسفل.",
        "انحناءتان مفتوحتان إلى اليسار، واحدة فوق الأخرى.",
        "خط قصير نازل يلتقي بخط أفقي، وخط مستقيم طويل ينزل على اليمين؛ وأعلاه مفتوح غالبًا.",
        "خط مستوٍ في الأعلى، ثم خط قصير نازل، ثم بطن مستدير مفتوح إلى اليسار.",
        "خط منحنٍ ينزل من الأعلى وينتهي بحلقة مغلقة في الأسفل.",
        "خط أفقي في الأعلى وخط طويل مائل نازل، بلا حلقة.",
        "حلقتان مغلقتان، واحدة فوق الأخرى.",
        "حلقة مغلقة في الأعلى وخط ينزل من جانبها الأيمن.",
    ],
    "fa_AF": [
        "یک شکل بیضوی بسته که داخلش خالی است و هیچ خطی از میانش نمی‌گذرد.",
        "یک خط ایستاده، گاهی با یک خط کوتاه کج در سرش.",
        "سرش خمیده است، بعد یک خط کج پایین می‌آید و در پایین یک خط هموار است.",
        "دو خم که طرف چپ شان باز است، یکی بالای دیگری.",
        "یک خط کوتاه پایین‌رو به یک خط افقی می‌رسد و یک خط راست دراز در طرف راست پایین می‌آید؛"
        " سرش اکثراً باز است.",
        "یک خط هموار در بالا، یک خط کوتاه پایین‌رو و یک شکم گرد که طرف چپش باز است.",
        "یک خط خمیده از بالا پایین می‌آید و در پایین به یک حلقهٔ بسته ختم می‌شود.",
        "یک خط افقی در بالا و یک خط دراز کج که پایین می‌آید، بدون حلقه.",
        "دو حلقهٔ بسته، یکی بالای دیگری.",
        "یک حلقهٔ بسته در بالا و یک خط که از طرف راستش پایین می‌آید.",
    ],
    "uk": [
        "замкнений овал, порожній усередині, без жодної риски посередині.",
        "одна пряма вертикальна риска, іноді з маленьким хвостиком угорі.",
        "заокруглений верх, похила риска вниз і рівна лінія внизу.",
        "дві дуги, відкриті ліворуч, одна над одною.",
        "коротка риска вниз сходиться з поперечкою, а праворуч іде вниз довга пряма риска;"
        " верх часто відкритий.",
        "рівна риска вгорі, коротка риска вниз і кругле черевце, відкрите ліворуч.",
        "дуга спускається згори й закінчується замкненою петлею внизу.",
        "риска вгорі й одна довга похила риска вниз, без петлі.",
        "дві замкнені петлі, одна над одною.",
        "замкнена петля вгорі й риска, що йде вниз від її правого боку.",
    ],
}


def digit_text(digit: int, locale: str) -> str:
    """The digit as a worker in ``locale`` reads it (with the Western digit the picture shows)."""
    if locale == "ar":
        return f"{ARABIC[digit]} ({digit})"
    if locale == "fa_AF":
        return f"{PERSIAN[digit]} ({digit})"
    return str(digit)


def article(digit: int) -> str:
    """The English article before a digit: an 8, a 3."""
    return "an" if digit == 8 else "a"


def this_is(digit: int, locale: str) -> str:
    """Why the picture shows ``digit``, in ``locale``."""
    shape = SHAPE[locale][digit]
    return {
        "en": f"This is {article(digit)} {digit}: {shape}",
        "ar": f"هذا الرقم {digit_text(digit, 'ar')}: {shape}",
        "fa_AF": f"این عدد {digit_text(digit, 'fa_AF')} است: {shape}",
        "uk": f"Це {digit}: {shape}",
    }[locale]


def check_explanation(truth: int, suggestion: int, locale: str) -> str:
    """Why the answer to 'is this a <suggestion>?' is yes or no, in ``locale``."""
    why = this_is(truth, locale)
    if truth == suggestion:
        return {"en": "Yes. ", "ar": "نعم. ", "fa_AF": "بلی. ", "uk": "Так. "}[locale] + why
    said = digit_text(suggestion, locale)
    return {
        "en": f"No, not {article(suggestion)} {suggestion}. ",
        "ar": f"لا، ليس {said}. ",
        "fa_AF": f"نخیر، {said} نیست. ",
        "uk": f"Ні, це не {suggestion}. ",
    }[locale] + why


def png(pixels: np.ndarray) -> bytes:
    """An 8x8 picture (0 = paper .. 16 = ink) as a small PNG: dark ink on white, enlarged."""
    grey = (255 - np.rint(pixels * 255 / 16)).astype(np.uint8)
    grey = np.kron(grey, np.ones((CELL, CELL), dtype=np.uint8))
    grey = np.pad(grey, MARGIN, constant_values=255)
    out = io.BytesIO()
    Image.fromarray(grey, mode="L").save(out, format="PNG", optimize=True)
    return out.getvalue()


def margins(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """How clearly each picture is its digit: distance to the nearest other digit's mean picture
    minus distance to its own (bigger = clearer)."""
    flat = images.reshape(len(images), -1)
    centroids = np.stack([flat[labels == d].mean(axis=0) for d in range(10)])
    distance = np.linalg.norm(flat[:, None, :] - centroids[None, :, :], axis=2)
    own = distance[np.arange(len(flat)), labels]
    distance[np.arange(len(flat)), labels] = np.inf
    return distance.min(axis=1) - own


def nearest_other(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """For each picture, the other digit it looks most like (a plausible model mistake)."""
    flat = images.reshape(len(images), -1)
    centroids = np.stack([flat[labels == d].mean(axis=0) for d in range(10)])
    distance = np.linalg.norm(flat[:, None, :] - centroids[None, :, :], axis=2)
    distance[np.arange(len(flat)), labels] = np.inf
    return distance.argmin(axis=1)


def explanation_columns(texts: dict[str, str]) -> dict[str, str]:
    return {f"explanation_{locale}": texts[locale] for locale in LOCALES}


def write_csv(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    data = load_digits()
    images, labels = data.images, data.target
    clarity = margins(images, labels)
    confusion = nearest_other(images, labels)
    rng = random.Random(SEED)

    chosen: list[int] = []
    gold: set[int] = set()
    for digit in range(10):
        first = [int(i) for i in np.flatnonzero(labels == digit)[:PER_DIGIT]]
        chosen += first
        # the clearest pictures of each digit are the control items: no worker should doubt them
        gold.update(sorted(first, key=lambda i: -clarity[i])[:GOLD_PER_DIGIT])
    rng.shuffle(chosen)

    explanation_fields = [f"explanation_{locale}" for locale in LOCALES]
    for folder in (DIGITS, CHECK):
        (folder / "images").mkdir(parents=True, exist_ok=True)
        for old in (folder / "images").glob("*.png"):
            old.unlink()

    names: dict[int, str] = {}
    rows: list[dict[str, str]] = []
    truth: list[dict[str, str]] = []
    for number, index in enumerate(chosen, start=1):
        item_id = f"d{number:03d}"
        names[index] = f"images/{item_id}.png"
        (DIGITS / names[index]).write_bytes(png(images[index]))
        digit = int(labels[index])
        row = {"id": item_id, "image": names[index], "gold": ""}
        row |= dict.fromkeys(explanation_fields, "")
        if index in gold:
            row["gold"] = str(digit)
            row |= explanation_columns({loc: this_is(digit, loc) for loc in LOCALES})
        else:
            truth.append({"id": item_id, "label": str(digit)})
        rows.append(row)
    write_csv(DIGITS / "items.csv", ["id", "image", "gold", *explanation_fields], rows)
    write_csv(TOOLS / "digits_truth.csv", ["id", "label"], truth)

    # digit-check: a simulated imperfect model suggests a digit for 60 of the same pictures
    picked = rng.sample(chosen, CHECK_ITEMS)
    wrong = set(rng.sample(picked, round(CHECK_ITEMS * MODEL_ERROR_RATE)))
    right_clear = sorted((i for i in picked if i not in wrong), key=lambda i: -clarity[i])
    wrong_clear = sorted(wrong, key=lambda i: -clarity[i])
    check_gold = set(right_clear[: CHECK_GOLD // 2] + wrong_clear[: CHECK_GOLD - CHECK_GOLD // 2])
    rows, truth = [], []
    for number, index in enumerate(picked, start=1):
        item_id = f"c{number:02d}"
        digit = int(labels[index])
        suggestion = int(confusion[index]) if index in wrong else digit
        # the same bytes as in handwritten-digits: the importer stores the picture once
        (CHECK / names[index]).write_bytes((DIGITS / names[index]).read_bytes())
        answer = "yes" if suggestion == digit else "no"
        row = {"id": item_id, "image": names[index], "suggestion": str(suggestion), "gold": ""}
        row |= dict.fromkeys(explanation_fields, "")
        if index in check_gold:
            row["gold"] = answer
            texts = {loc: check_explanation(digit, suggestion, loc) for loc in LOCALES}
            row |= explanation_columns(texts)
        else:
            truth.append({"id": item_id, "answer": answer})
        rows.append(row)
    fields = ["id", "image", "suggestion", "gold", *explanation_fields]
    write_csv(CHECK / "items.csv", fields, rows)
    write_csv(TOOLS / "digit_check_truth.csv", ["id", "answer"], truth)


if __name__ == "__main__":
    main()
