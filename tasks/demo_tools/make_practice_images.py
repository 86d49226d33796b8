"""Draw the practice pictures of the course Annotation basics (courses/content/annotation-basics).

Each picture tests one thing the lessons teach, in a scene no lesson picture shows:

    p1  car      a car in a car park, a small bicycle far behind it (the main thing)
    p2  bus      a bus so close that it runs off the picture (the whole item, not one corner)
    p3  none     a motorbike: two wheels, but an engine and no pedals (no label fits)
    p4  bicycle  a bicycle in front, a bus small and far behind (the main thing, not the biggest
                 kind of vehicle)
    p5  car      a car seen from the front, at night (another angle)
    p6  none     a lorry: long, but a cargo box and no row of windows (no label fits)
    p7  bus      a bus at a stop, a bicycle parked at the shelter (the main thing)
    p8  bicycle  a bicycle leaning on a fence by a field, no road (another scene)

Run it with Rafiq's venv; it writes the same files every run:

    .venv/bin/python tasks/demo_tools/make_practice_images.py
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageColor, ImageDraw

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "courses" / "content" / "annotation-basics" / "images"
W, H = 800, 600

Box = tuple[float, float, float, float]


def canvas(top: str, bottom: str, horizon: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """A picture with a sky from ``top`` to ``bottom`` down to ``horizon``."""
    image = Image.new("RGB", (W, H))
    draw = ImageDraw.Draw(image)
    a, b = ImageColor.getrgb(top), ImageColor.getrgb(bottom)
    for y in range(horizon):
        t = y / max(horizon - 1, 1)
        draw.line([(0, y), (W, y)], fill=tuple(round(a[i] + (b[i] - a[i]) * t) for i in range(3)))
    return image, draw


def wheel(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, spokes: bool = False) -> None:
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill="#222222")
    if spokes:
        draw.ellipse(
            [cx - r * 0.85, cy - r * 0.85, cx + r * 0.85, cy + r * 0.85],
            fill=None,
            outline="#999999",
            width=2,
        )
        for k in range(12):
            angle = k * math.pi / 6
            draw.line(
                [(cx, cy), (cx + r * 0.85 * math.cos(angle), cy + r * 0.85 * math.sin(angle))],
                fill="#aaaaaa",
                width=1,
            )
    else:
        draw.ellipse([cx - r * 0.5, cy - r * 0.5, cx + r * 0.5, cy + r * 0.5], fill="#9a9a9a")


def car_side(draw: ImageDraw.ImageDraw, x: float, y: float, s: float, body: str) -> None:
    """A hatchback seen from the side; (x, y) is the rear bottom corner, s the scale."""
    draw.rounded_rectangle([x, y - 55 * s, x + 240 * s, y - 10 * s], radius=14 * s, fill=body)
    draw.polygon(
        [
            (x + 40 * s, y - 55 * s),
            (x + 70 * s, y - 100 * s),
            (x + 150 * s, y - 100 * s),
            (x + 195 * s, y - 55 * s),
        ],
        fill=body,
    )
    draw.polygon(
        [
            (x + 78 * s, y - 92 * s),
            (x + 110 * s, y - 92 * s),
            (x + 110 * s, y - 58 * s),
            (x + 58 * s, y - 58 * s),
        ],
        fill="#cfe8f5",
    )
    draw.polygon(
        [
            (x + 118 * s, y - 92 * s),
            (x + 146 * s, y - 92 * s),
            (x + 180 * s, y - 58 * s),
            (x + 118 * s, y - 58 * s),
        ],
        fill="#cfe8f5",
    )
    draw.rectangle([x + 228 * s, y - 45 * s, x + 240 * s, y - 35 * s], fill="#ffe07a")
    wheel(draw, x + 55 * s, y - 10 * s, 24 * s)
    wheel(draw, x + 185 * s, y - 10 * s, 24 * s)


def bicycle(draw: ImageDraw.ImageDraw, x: float, y: float, s: float, frame: str) -> None:
    """A bicycle from the side; (x, y) is the bottom of the rear wheel, s the scale."""
    r = 45 * s
    rear, front = (x, y - r), (x + 150 * s, y - r)
    wheel(draw, *rear, r, spokes=True)
    wheel(draw, *front, r, spokes=True)
    crank = (x + 65 * s, y - r)
    seat = (x + 45 * s, y - r - 75 * s)
    head = (x + 125 * s, y - r - 70 * s)
    w = max(2, round(6 * s))
    for a, b in (
        (rear, crank),
        (rear, seat),
        (seat, crank),
        (crank, head),
        (seat, head),
        (head, front),
    ):
        draw.line([a, b], fill=frame, width=w)
    draw.line(
        [(seat[0] - 18 * s, seat[1] - 6 * s), (seat[0] + 18 * s, seat[1] - 6 * s)],
        fill="#222222",
        width=w + 2,
    )
    draw.line(
        [head, (head[0] - 8 * s, head[1] - 22 * s), (head[0] + 14 * s, head[1] - 24 * s)],
        fill="#222222",
        width=w,
    )
    draw.ellipse(
        [crank[0] - 9 * s, crank[1] - 9 * s, crank[0] + 9 * s, crank[1] + 9 * s], fill="#444444"
    )
    draw.line(
        [(crank[0] - 12 * s, crank[1] + 12 * s), (crank[0] + 12 * s, crank[1] - 12 * s)],
        fill="#444444",
        width=w,
    )


def bus_side(
    draw: ImageDraw.ImageDraw, x: float, y: float, s: float, body: str, stripe: str
) -> None:
    """A city bus from the side, 420 units long; (x, y) is the rear bottom corner."""
    draw.rounded_rectangle([x, y - 150 * s, x + 420 * s, y - 12 * s], radius=12 * s, fill=body)
    draw.rectangle([x, y - 52 * s, x + 420 * s, y - 40 * s], fill=stripe)
    for k in range(7):
        wx = x + 14 * s + k * 48 * s
        draw.rectangle([wx, y - 135 * s, wx + 38 * s, y - 85 * s], fill="#cfe8f5")
    draw.rectangle(
        [x + 358 * s, y - 135 * s, x + 405 * s, y - 20 * s],
        fill="#8fb3c4",
        outline="#555555",
        width=max(1, round(2 * s)),
    )
    wheel(draw, x + 70 * s, y - 12 * s, 28 * s)
    wheel(draw, x + 320 * s, y - 12 * s, 28 * s)


def road(draw: ImageDraw.ImageDraw, top: int, bottom: int, dashes: bool = True) -> None:
    draw.rectangle([0, top, W, bottom], fill="#55585c")
    if dashes:
        mid = (top + bottom) // 2
        for x in range(-20, W, 90):
            draw.rectangle([x, mid - 3, x + 45, mid + 3], fill="#f2f2f2")


def p1_car_park() -> Image.Image:
    image, draw = canvas("#9cc9ef", "#dcebf7", 260)
    for k, colour in enumerate(("#b9b2a8", "#a7a39b", "#c5beb3", "#9d978d")):
        bx = 20 + k * 200
        draw.rectangle([bx, 120 - 30 * (k % 2), bx + 170, 260], fill=colour)
        for row in range(3):
            for col in range(4):
                draw.rectangle(
                    [
                        bx + 15 + col * 40,
                        140 + row * 38 - 30 * (k % 2),
                        bx + 40 + col * 40,
                        162 + row * 38 - 30 * (k % 2),
                    ],
                    fill="#6f8796",
                )
    draw.rectangle([0, 260, W, H], fill="#6b6e72")
    for x in range(0, W, 160):
        draw.line([(x, 380), (x + 60, H)], fill="#efefef", width=5)
    bicycle(draw, 610, 300, 0.38, "#2a8a3a")
    car_side(draw, 150, 520, 1.9, "#2f9e8f")
    return image


def p2_bus_close() -> Image.Image:
    image, draw = canvas("#f4b46a", "#fbe3b8", 230)
    draw.rectangle([0, 230, W, H], fill="#8a8f94")
    road(draw, 470, H, dashes=False)
    bus_side(draw, -260, 560, 2.4, "#c9372c", "#f0f0f0")
    return image


def motorbike(draw: ImageDraw.ImageDraw, x: float, y: float, s: float, body: str) -> None:
    """A motorbike from the side: thick wheels, an engine block, a tank and a seat, no pedals."""
    r = 50 * s
    wheel(draw, x, y - r, r)
    wheel(draw, x + 210 * s, y - r, r)
    draw.polygon(
        [
            (x + 60 * s, y - r - 10 * s),
            (x + 150 * s, y - r - 10 * s),
            (x + 140 * s, y - r + 30 * s),
            (x + 70 * s, y - r + 30 * s),
        ],
        fill="#555555",
    )
    draw.rectangle([x + 70 * s, y - r - 40 * s, x + 130 * s, y - r], fill="#3b3b3b")
    draw.polygon(
        [
            (x + 90 * s, y - r - 80 * s),
            (x + 175 * s, y - r - 85 * s),
            (x + 165 * s, y - r - 45 * s),
            (x + 95 * s, y - r - 40 * s),
        ],
        fill=body,
    )
    draw.rounded_rectangle(
        [x + 10 * s, y - r - 75 * s, x + 100 * s, y - r - 55 * s], radius=8 * s, fill="#222222"
    )
    draw.line([(x, y - r), (x + 80 * s, y - r - 50 * s)], fill="#777777", width=round(8 * s))
    draw.line(
        [(x + 210 * s, y - r), (x + 175 * s, y - r - 110 * s)], fill="#777777", width=round(8 * s)
    )
    draw.line(
        [(x + 160 * s, y - r - 115 * s), (x + 200 * s, y - r - 118 * s)],
        fill="#222222",
        width=round(8 * s),
    )
    draw.ellipse([x + 185 * s, y - r - 100 * s, x + 215 * s, y - r - 70 * s], fill="#ffe07a")
    draw.line(
        [(x + 20 * s, y - r + 25 * s), (x + 140 * s, y - r + 25 * s)],
        fill="#9a9a9a",
        width=round(10 * s),
    )


def p3_motorbike() -> Image.Image:
    image, draw = canvas("#7fb0d9", "#cfe2f0", 300)
    draw.polygon([(0, 300), (180, 200), (380, 300)], fill="#8b9aa8")
    draw.polygon([(300, 300), (560, 170), (800, 300)], fill="#7a8a99")
    draw.rectangle([0, 300, W, H], fill="#c9b58c")
    road(draw, 420, 560)
    motorbike(draw, 170, 530, 1.7, "#1f4fa8")
    return image


def p4_bicycle_bus_far() -> Image.Image:
    image, draw = canvas("#a4d4f2", "#eaf5fb", 280)
    for k in range(6):
        draw.ellipse([k * 150 - 40, 230, k * 150 + 130, 330], fill="#4f8f4a")
    draw.rectangle([0, 280, W, H], fill="#86b86a")
    road(draw, 300, 350)
    bus_side(draw, 520, 345, 0.45, "#2463b5", "#ffffff")
    draw.rectangle([0, 470, W, H], fill="#b8aa94")
    bicycle(draw, 170, 580, 2.3, "#e0a21a")
    return image


def p5_car_front_night() -> Image.Image:
    image, draw = canvas("#0b1430", "#27335a", 330)
    for sx, sy in ((60, 40), (200, 90), (330, 30), (470, 70), (650, 45), (740, 120), (120, 160)):
        draw.ellipse([sx - 2, sy - 2, sx + 2, sy + 2], fill="#f5f0c8")
    draw.ellipse([600, 60, 660, 120], fill="#f1ecd0")
    draw.rectangle([0, 330, W, H], fill="#2b2d33")
    draw.polygon([(300, 330), (500, 330), (800, H), (0, H)], fill="#3a3c42")
    cx, base = 400, 540
    for dx in (-160, 160):  # the headlights' beams on the road, under the car
        draw.polygon([(cx + dx, base - 95), (cx + dx * 2.6, H), (cx + dx * 0.4, H)], fill="#57574a")
    draw.rounded_rectangle([cx - 210, base - 150, cx + 210, base - 20], radius=30, fill="#c23b3b")
    draw.polygon(
        [
            (cx - 160, base - 150),
            (cx - 120, base - 250),
            (cx + 120, base - 250),
            (cx + 160, base - 150),
        ],
        fill="#c23b3b",
    )
    draw.polygon(
        [
            (cx - 140, base - 155),
            (cx - 108, base - 235),
            (cx + 108, base - 235),
            (cx + 140, base - 155),
        ],
        fill="#6d8aa6",
    )
    draw.rectangle([cx - 90, base - 95, cx + 90, base - 55], fill="#333333")
    for dx in (-160, 160):
        draw.ellipse([cx + dx - 38, base - 120, cx + dx + 38, base - 70], fill="#fff6c2")
    draw.rectangle([cx - 190, base - 20, cx - 130, base + 30], fill="#151515")
    draw.rectangle([cx + 130, base - 20, cx + 190, base + 30], fill="#151515")
    draw.rectangle([cx - 50, base - 45, cx + 50, base - 25], fill="#e8e8e8")
    return image


def lorry(draw: ImageDraw.ImageDraw, x: float, y: float, s: float, cab: str) -> None:
    """A lorry from the side: a tall cargo box without windows, a short cab in front."""
    draw.rectangle(
        [x, y - 230 * s, x + 330 * s, y - 40 * s],
        fill="#e7e2d6",
        outline="#8a8476",
        width=max(1, round(3 * s)),
    )
    for k in range(1, 4):
        draw.line(
            [(x + k * 82 * s, y - 225 * s), (x + k * 82 * s, y - 45 * s)],
            fill="#c9c2b2",
            width=max(1, round(3 * s)),
        )
    draw.rectangle([x, y - 40 * s, x + 470 * s, y - 25 * s], fill="#3c3c3c")
    draw.polygon(
        [
            (x + 340 * s, y - 25 * s),
            (x + 340 * s, y - 170 * s),
            (x + 430 * s, y - 170 * s),
            (x + 470 * s, y - 100 * s),
            (x + 470 * s, y - 25 * s),
        ],
        fill=cab,
    )
    draw.polygon(
        [
            (x + 390 * s, y - 160 * s),
            (x + 425 * s, y - 160 * s),
            (x + 455 * s, y - 105 * s),
            (x + 390 * s, y - 105 * s),
        ],
        fill="#cfe8f5",
    )
    for wx in (60, 130, 400):
        wheel(draw, x + wx * s, y - 22 * s, 30 * s)


def p6_lorry() -> Image.Image:
    image, draw = canvas("#b7c7d6", "#e4e9ee", 250)
    draw.rectangle([0, 200, W, 330], fill="#9a8f80")
    for x in range(0, W, 120):
        draw.rectangle([x + 10, 150, x + 100, 330], fill="#a99d8c", outline="#7d7264")
    draw.rectangle([0, 330, W, H], fill="#5f6166")
    road(draw, 360, 560)
    lorry(draw, 120, 540, 1.25, "#e07b1a")
    return image


def p7_bus_stop() -> Image.Image:
    image, draw = canvas("#8fd0e8", "#e3f4fa", 250)
    draw.rectangle([0, 250, W, 330], fill="#d9d2c3")
    road(draw, 330, 520)
    draw.rectangle([0, 520, W, H], fill="#d9d2c3")
    draw.rectangle([560, 180, 780, 200], fill="#3d5a80")
    for px in (570, 770):
        draw.rectangle([px - 4, 200, px + 4, 330], fill="#3d5a80")
    draw.rectangle([580, 205, 760, 300], fill="#cfe3ea", outline="#3d5a80", width=3)
    draw.rectangle([520, 140, 550, 170], fill="#ffffff", outline="#1b6b3a", width=4)
    draw.line([(535, 170), (535, 330)], fill="#1b6b3a", width=5)
    bicycle(draw, 610, 335, 0.75, "#7a3fb0")
    bus_side(draw, 40, 500, 1.35, "#f2f2f2", "#1b6b3a")
    return image


def p8_bicycle_fence() -> Image.Image:
    image, draw = canvas("#c4d8ea", "#f1f4e6", 330)
    draw.rectangle([0, 330, W, H], fill="#c8b04a")
    for y in range(350, H, 28):
        draw.line([(0, y), (W, y + 10)], fill="#b89c36", width=3)
    draw.rectangle([0, 300, W, 335], fill="#5c8a3c")
    for x in range(20, W, 70):
        draw.rectangle([x, 260, x + 14, 480], fill="#8b5a2b")
    for y in (300, 360, 420):
        draw.rectangle([0, y, W, y + 12], fill="#a0703c")
    bicycle(draw, 140, 540, 1.4, "#c0224a")
    return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)  # facing left, on the right


PICTURES = {
    "p1": p1_car_park,
    "p2": p2_bus_close,
    "p3": p3_motorbike,
    "p4": p4_bicycle_bus_far,
    "p5": p5_car_front_night,
    "p6": p6_lorry,
    "p7": p7_bus_stop,
    "p8": p8_bicycle_fence,
}


def main() -> None:
    for name, draw in PICTURES.items():
        draw().save(IMAGES / f"{name}.jpg", "JPEG", quality=85, optimize=True)
        print(IMAGES / f"{name}.jpg")


if __name__ == "__main__":
    main()
