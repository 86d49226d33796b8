# ruff: noqa: E501
# (the messages are data, one a line)
"""Write the message-topics demo project's items and the true labels of its non-gold items.

The messages were written for Rafiq (not collected from real customers): 20 a language, in the
register of short customer messages. Run from anywhere with any Python 3:

    python3 tasks/demo_tools/make_message_topics.py
"""

from __future__ import annotations

import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
Q, C, T = "question", "complaint", "thanks"
MSG = {
    "en": [
        ("Hi, what time do you close on Fridays?", [Q]),
        (
            "I ordered a phone charger two weeks ago and it still hasn't arrived. This is the second time this has happened.",
            [C],
        ),
        ("Thank you so much for fixing my internet so fast yesterday!", [T]),
        (
            "The parcel came today but the box was crushed and the cup inside is broken. Can I get a new one?",
            [C, Q],
        ),
        ("thanks for the quick reply, that helped a lot", [T]),
        ("Is it possible to change the delivery address after paying?", [Q]),
        ("I was charged twice for the same order. Please sort this out.", [C]),
        (
            "Your driver was really kind and helped carry the boxes up to the third floor. Please pass on my thanks.",
            [T],
        ),
        ("My order number is 58213. From 1 March my new address is 12 Hill Road, flat 4.", []),
        ("Why does the app keep logging me out? It's getting really annoying.", [Q, C]),
        ("Do you deliver to villages outside the city, and how much does it cost?", [Q]),
        ("Waited 40 minutes on the phone and nobody answered.", [C]),
        ("Great service as always, thank you! One more thing: do you sell gift cards?", [T, Q]),
        ("ok received", []),
        ("The shoes are a size too small. How do I send them back?", [Q]),
        (
            "I've been trying to top up my balance since this morning and the payment keeps failing!!",
            [C],
        ),
        ("Thanks, but the problem is still there.", [T, C]),
        ("Could someone call me back? My number is the same as on my account.", [Q]),
        (
            "Just wanted to say the new opening hours are much better for people who work. Thanks!",
            [T],
        ),
        (
            "The medicine I ordered arrived past its expiry date. That is dangerous! Who is supposed to check this?",
            [C, Q],
        ),
    ],
    "ar": [
        ("مرحبًا، هل تفتحون يوم الجمعة؟ وإلى أي ساعة؟", [Q]),
        ("طلبت شاحن هاتف قبل أسبوعين وحتى الآن لم يصل. وهذه ثاني مرة يحدث معي هذا.", [C]),
        ("شكرًا جزيلًا على إصلاح الإنترنت بهذه السرعة!", [T]),
        (
            "وصل الطرد اليوم لكن العلبة كانت مضغوطة والكأس بداخلها مكسورة. هل يمكن استبدالها؟",
            [C, Q],
        ),
        ("شكرًا على الرد السريع، أفادني كثيرًا", [T]),
        ("هل يمكن تغيير عنوان التوصيل بعد الدفع؟", [Q]),
        ("خُصم المبلغ من حسابي مرتين للطلب نفسه. أرجو حل المشكلة.", [C]),
        (
            "السائق كان لطيفًا جدًا وساعدني في حمل الصناديق إلى الطابق الثالث. أرجو إيصال شكري له.",
            [T],
        ),
        ("رقم طلبي 58213. من بداية الشهر عنواني الجديد: شارع الجامعة، بناء 7، الطابق الثاني.", []),
        ("ليش التطبيق يطلعني من الحساب كل شوي؟ صار الموضوع مزعج.", [Q, C]),
        ("هل توصلون إلى القرى خارج المدينة؟ وكم أجرة التوصيل؟", [Q]),
        ("انتظرت ٤٠ دقيقة على الهاتف ولم يرد أحد.", [C]),
        ("خدمة ممتازة كالعادة، شكرًا لكم! وسؤال أخير: هل عندكم بطاقات هدايا؟", [T, Q]),
        ("تمام، وصل", []),
        ("المقاس صغير عليّ. كيف أرجّعه؟", [Q]),
        ("منذ الصباح أحاول شحن رصيدي والدفع يفشل في كل مرة!!", [C]),
        ("شكرًا، لكن المشكلة ما زالت موجودة.", [T, C]),
        ("هل يمكن أن يتصل بي أحد؟ رقمي هو نفسه المسجّل في الحساب.", [Q]),
        ("أحببت أن أقول إن أوقات الدوام الجديدة أنسب بكثير للموظفين. شكرًا لكم!", [T]),
        ("الدواء الذي طلبته وصل منتهي الصلاحية. هذا خطير! من المسؤول عن فحص ذلك؟", [C, Q]),
    ],
    "fa_AF": [
        ("سلام، روزهای جمعه دوکان تان تا چه وقت باز است؟", [Q]),
        (
            "دو هفته پیش یک چارجر موبایل فرمایش دادم و تا حالا نرسیده. این دفعهٔ دوم است که این‌طور می‌شود.",
            [C],
        ),
        ("از اینکه دیروز انترنت مرا اینقدر زود جور کردید، بسیار تشکر!", [T]),
        ("بسته امروز رسید، ولی بکسش پچق شده بود و پیالهٔ داخلش شکسته. می‌شود عوضش کنید؟", [C, Q]),
        ("تشکر از جواب زود تان، خیلی کمکم کرد", [T]),
        ("آیا بعد از پرداخت پول، آدرس رساندن را تغییر داده می‌توانم؟", [Q]),
        ("پول یک فرمایش دو بار از حسابم کم شده. لطفاً این مشکل را حل کنید.", [C]),
        (
            "دریور تان خیلی مهربان بود و بکس‌ها را تا منزل سوم همراهم برد. تشکر مرا به او برسانید.",
            [T],
        ),
        ("نمبر فرمایش من ۵۸۲۱۳ است. از اول ماه آدرس نو من: کارته سه، سرک دوم، خانهٔ نمبر ۱۴.", []),
        ("چرا اپلیکیشن هر چند دقیقه مرا از حسابم بیرون می‌کند؟ واقعاً آدم را خسته کرده.", [Q, C]),
        ("آیا به قریه‌های بیرون شهر هم سودا می‌رسانید؟ کرایه‌اش چند است؟", [Q]),
        ("چهل دقیقه پشت تیلفون منتظر ماندم و هیچ‌کس جواب نداد.", [C]),
        ("خدمات تان مثل همیشه عالی بود، تشکر! یک سوال دیگر هم داشتم: کارت تحفه دارید؟", [T, Q]),
        ("خوب، رسید", []),
        ("بوت‌ها برایم خُرد است. چطور پس بدهم؟", [Q]),
        ("از صبح کوشش می‌کنم کریدت بخرم و پرداخت هر بار ناکام می‌شود!!", [C]),
        ("تشکر، ولی مشکل هنوز هم حل نشده.", [T, C]),
        ("کسی می‌تواند به من زنگ بزند؟ نمبرم همان نمبری است که در حسابم ثبت است.", [Q]),
        (
            "فقط می‌خواستم بگویم که وقت‌های کاری نو برای کسانی که وظیفه دارند خیلی بهتر است. تشکر!",
            [T],
        ),
        (
            "دوایی که فرمایش داده بودم تاریخش تیر شده بود. این خطرناک است! کنترول این کار به دوش کیست؟",
            [C, Q],
        ),
    ],
    "uk": [
        ("Добрий день! До котрої ви працюєте в п'ятницю?", [Q]),
        (
            "Два тижні тому замовила зарядку для телефона, досі не прийшла. І це вже вдруге так.",
            [C],
        ),
        ("Дуже дякую, що вчора так швидко полагодили інтернет!", [T]),
        (
            "Посилку отримав сьогодні, але коробка зім'ята, а чашка всередині розбита. Можна її замінити?",
            [C, Q],
        ),
        ("дякую за швидку відповідь, дуже допомогли", [T]),
        ("Чи можна змінити адресу доставки після оплати?", [Q]),
        ("З картки двічі списали гроші за одне замовлення. Прошу розібратися.", [C]),
        (
            "Ваш кур'єр був дуже ввічливий і допоміг занести коробки на третій поверх. Передайте йому, будь ласка, щиру подяку.",
            [T],
        ),
        ("Номер замовлення 58213. З 1 березня нова адреса: вул. Шевченка, 12, кв. 4.", []),
        ("Чому застосунок постійно викидає з акаунта? Це вже дратує.", [Q, C]),
        ("Чи доставляєте ви в села за містом і скільки це коштує?", [Q]),
        ("Чекала на лінії 40 хвилин, і ніхто так і не відповів.", [C]),
        (
            "Як завжди, чудовий сервіс, дякую! І ще питання: у вас є подарункові сертифікати?",
            [T, Q],
        ),
        ("ок, отримала", []),
        ("Кросівки замалі. Як їх повернути?", [Q]),
        ("З самого ранку намагаюся поповнити рахунок, а оплата весь час не проходить!!", [C]),
        ("Дякую, але проблема досі не зникла.", [T, C]),
        ("Можете мені передзвонити? Номер той самий, що в акаунті.", [Q]),
        (
            "Хотів сказати, що новий графік роботи набагато зручніший для тих, хто працює. Дякую!",
            [T],
        ),
        (
            "Ліки, які я замовив, прийшли з простроченим терміном. Це небезпечно! Хто має це перевіряти?",
            [C, Q],
        ),
    ],
}
# gold: (language, 1-based number) -> explanation per locale
GOLD = {
    ("en", 4): {
        "en": "Complaint and question: the box arrived crushed and the cup broken, and the customer asks whether they can get a new one.",
        "ar": "شكوى وسؤال: وصلت العلبة مضغوطة والكأس مكسورة، ويسأل العميل هل يمكن الحصول على بديل.",
        "fa_AF": "شکایت و سوال: بکس پچق و پیاله شکسته رسیده، و مشتری می‌پرسد که آیا یک پیالهٔ نو گرفته می‌تواند.",
        "uk": "Скарга й питання: коробка прийшла зім'ята, чашка розбита, і клієнт питає, чи можна отримати нову.",
    },
    ("en", 9): {
        "en": "None of the labels: the customer only gives an order number and a new address. Nothing is asked, nothing went wrong, nobody is thanked.",
        "ar": "لا ينطبق أي وسم: يذكر العميل رقم الطلب وعنوانًا جديدًا فقط. لا سؤال ولا مشكلة ولا شكر.",
        "fa_AF": "هیچ برچسپی نمی‌خورد: مشتری فقط نمبر فرمایش و آدرس نو را می‌دهد. نه سوالی است، نه مشکلی، نه تشکری.",
        "uk": "Жодна мітка не підходить: клієнт лише повідомляє номер замовлення й нову адресу. Нічого не питає, ні на що не скаржиться, нікому не дякує.",
    },
    ("ar", 7): {
        "en": 'Complaint only: the customer was charged twice. "Please fix the problem" is a request, not a question: nothing is asked.',
        "ar": "شكوى فقط: خُصم المبلغ مرتين. وعبارة «أرجو حل المشكلة» طلب وليست سؤالًا، فلا شيء يُسأل عنه.",
        "fa_AF": "فقط شکایت: پول دو بار کم شده. «لطفاً مشکل را حل کنید» یک خواهش است، نه سوال؛ چیزی پرسیده نشده.",
        "uk": "Лише скарга: гроші списали двічі. «Прошу розв'язати проблему» — це прохання, а не питання: клієнт нічого не питає.",
    },
    ("ar", 17): {
        "en": "Thanks and complaint: the customer says thank you, but also says the problem is still there.",
        "ar": "شكر وشكوى: يشكر العميل، لكنه يقول أيضًا إن المشكلة ما زالت موجودة.",
        "fa_AF": "تشکر و شکایت: مشتری تشکر می‌کند، ولی می‌گوید که مشکل هنوز هم حل نشده.",
        "uk": "Подяка й скарга: клієнт дякує, але каже, що проблема досі є.",
    },
    ("fa_AF", 10): {
        "en": "Question and complaint: the customer asks why the app keeps logging them out, and says it has become tiring.",
        "ar": "سؤال وشكوى: يسأل العميل لماذا يُخرجه التطبيق من حسابه مرارًا، ويقول إن ذلك صار متعبًا.",
        "fa_AF": "سوال و شکایت: مشتری می‌پرسد که چرا اپلیکیشن او را بار بار از حسابش بیرون می‌کند، و می‌گوید که خسته شده.",
        "uk": "Питання й скарга: клієнт питає, чому застосунок постійно викидає з акаунта, і каже, що це вже втомлює.",
    },
    ("fa_AF", 14): {
        "en": 'None of the labels: "OK, it arrived" only confirms the delivery. There is no question, no complaint and no thanks.',
        "ar": "لا ينطبق أي وسم: «تمام، وصل» تأكيد للاستلام فقط، بلا سؤال ولا شكوى ولا شكر.",
        "fa_AF": "هیچ برچسپی نمی‌خورد: «خوب، رسید» فقط رسیدن سودا را تأیید می‌کند. نه سوال است، نه شکایت، نه تشکر.",
        "uk": "Жодна мітка не підходить: «Добре, прийшло» лише підтверджує доставку. Немає ні питання, ні скарги, ні подяки.",
    },
    ("uk", 13): {
        "en": "Thanks and question: the customer praises the service and says thank you, then asks whether gift cards are sold.",
        "ar": "شكر وسؤال: يمدح العميل الخدمة ويشكر، ثم يسأل هل تتوفر بطاقات هدايا.",
        "fa_AF": "تشکر و سوال: مشتری از خدمات تعریف و تشکر می‌کند، بعد می‌پرسد که آیا کارت تحفه دارند.",
        "uk": "Подяка й питання: клієнт хвалить сервіс і дякує, а потім питає про подарункові сертифікати.",
    },
    ("uk", 18): {
        "en": "Question only: the customer asks to be called back. Nothing went wrong and nobody is thanked.",
        "ar": "سؤال فقط: يسأل العميل هل يمكن أن يتصل به أحد. لا توجد مشكلة ولا شكر.",
        "fa_AF": "فقط سوال: مشتری می‌پرسد که کسی به او زنگ زده می‌تواند یا نه. نه مشکلی است و نه تشکری.",
        "uk": "Лише питання: клієнт просить передзвонити й питає, чи це можливо. Ні скарги, ні подяки.",
    },
}
LOCALES = ("en", "ar", "fa_AF", "uk")
PREFIX = {"en": "en", "ar": "ar", "fa_AF": "fa", "uk": "uk"}


def main() -> None:
    fields = ["id", "language", "text", "gold"] + [f"explanation_{loc}" for loc in LOCALES]
    rows = []
    truth = []
    for number in range(1, 21):  # languages interleaved: no language waits behind another
        for language in LOCALES:
            text, labels = MSG[language][number - 1]
            item_id = f"{PREFIX[language]}{number:02d}"
            row = dict.fromkeys(fields, "")
            row |= {"id": item_id, "language": language, "text": text}
            explanation = GOLD.get((language, number))
            if explanation is None:
                truth.append([item_id, "|".join(labels) or "-"])
            else:
                row["gold"] = "|".join(labels) or "-"  # "-": a gold item none of the labels fit
                row |= {f"explanation_{loc}": explanation[loc] for loc in LOCALES}
            rows.append(row)
    items = ROOT / "tasks" / "projects" / "message-topics" / "items.csv"
    with items.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    truth_file = ROOT / "tasks" / "demo_tools" / "message_topics_truth.csv"
    with truth_file.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([["id", "labels"], *truth])


if __name__ == "__main__":
    main()
