# ruff: noqa: E501
# (the answers are data, one a line)
"""Write the clearer-answer demo project's items and the better answer of its non-gold pairs.

A customer's message and two replies from a support team, written for Rafiq (not collected from
real conversations): 10 pairs a language. In each pair one reply is clearer and more polite; the
gold pairs differ plainly, the others less so. Run with any Python 3:

    python3 tasks/demo_tools/make_clearer_answer.py
"""

from __future__ import annotations

import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ("en", "ar", "fa_AF", "uk")
PREFIX = {"en": "en", "ar": "ar", "fa_AF": "fa", "uk": "uk"}
CUSTOMER = {"en": "Customer", "ar": "العميل", "fa_AF": "مشتری", "uk": "Клієнт"}
REPLY = {"en": "Answer", "ar": "الرد", "fa_AF": "جواب", "uk": "Відповідь"}
# the better reply's place, pair by pair: shown first (a) or second (b)
BETTER = ("a", "b", "a", "b", "a", "a", "b", "a", "b", "b")

# (customer's message, the better reply, the worse reply), pair by pair
PAIRS = {
    "en": [
        (
            "When will my parcel arrive?",
            "Your parcel left our warehouse today and should arrive on Thursday. You can follow it with the tracking number in your SMS.",
            "Delivery times depend on many factors. Please check again later.",
        ),
        (
            "Why was I charged twice?",
            "I'm sorry about that. I can see two payments for order 58213. We will return the second one within 3 working days.",
            "Not our problem, talk to your bank.",
        ),
        (
            "Can I change my delivery address?",
            "Yes. Open your order, tap Change address and enter the new one before 6 pm on the day before delivery.",
            "Yes, this is possible in some cases, subject to conditions.",
        ),
        (
            "The app keeps logging me out.",
            "Sorry for the trouble. Please update the app to the latest version; that fixes it for most people. If it still happens, write to us again.",
            "Update app.",
        ),
        (
            "Do you deliver to villages?",
            "We deliver to most villages within 50 km of the city, for 3 dollars. Send us the name of the village and we will check.",
            "Hello! Thank you for your message! We are always happy to hear from our valued customers! Regarding your question, it depends.",
        ),
        (
            "The medicine arrived past its expiry date.",
            "That should not have happened, and I am sorry. Please do not take it. We will send a new pack today and collect the old one.",
            "Please do not use the medicine. A replacement will be arranged.",
        ),
        (
            "What time do you close on Friday?",
            "We close at 2 pm on Fridays.",
            "Our opening hours are on our website.",
        ),
        (
            "Could someone call me back?",
            "Of course. What time suits you? We call between 9 am and 5 pm.",
            "Yes, someone will call you.",
        ),
        (
            "The shoes are too small. How do I return them?",
            "No problem. Put them back in their box and bring them to any of our pickup points within 14 days with your order number.",
            "You should have checked the size chart before ordering.",
        ),
        (
            "Thanks for fixing my internet!",
            "You're welcome! Glad it works again. Write to us any time.",
            "ok",
        ),
    ],
    "ar": [
        (
            "متى يصل طردي؟",
            "خرج طردك من المستودع اليوم، ومن المتوقع أن يصل يوم الخميس. يمكنك متابعته برقم التتبع الموجود في الرسالة النصية.",
            "تختلف مدة التوصيل حسب عوامل كثيرة. يرجى المراجعة لاحقًا.",
        ),
        (
            "لماذا خُصم المبلغ مرتين؟",
            "نعتذر عن ذلك. نرى دفعتين للطلب 58213، وسنعيد الدفعة الثانية خلال ٣ أيام عمل.",
            "هذه ليست مشكلتنا، راجع البنك.",
        ),
        (
            "هل يمكنني تغيير عنوان التوصيل؟",
            "نعم. افتح الطلب، واضغط «تغيير العنوان»، وأدخل العنوان الجديد قبل السادسة مساءً من اليوم السابق للتوصيل.",
            "نعم، هذا ممكن في بعض الحالات وفق شروط معيّنة.",
        ),
        (
            "التطبيق يخرجني من حسابي كل مرة.",
            "نأسف للإزعاج. يُرجى تحديث التطبيق إلى آخر إصدار، فهذا يحل المشكلة عند أغلب المستخدمين. وإذا تكررت، راسلنا من جديد.",
            "حدّث التطبيق.",
        ),
        (
            "هل توصلون إلى القرى؟",
            "نوصل إلى أغلب القرى في حدود ٥٠ كم من المدينة، وأجرة التوصيل ٣ دولارات. أرسل لنا اسم القرية لنتأكد.",
            "مرحبًا! شكرًا لرسالتك! يسعدنا دائمًا التواصل مع عملائنا الكرام! بخصوص سؤالك، الأمر يعتمد.",
        ),
        (
            "وصل الدواء منتهي الصلاحية.",
            "ما كان يجب أن يحدث هذا، ونعتذر. لا تستعمل الدواء. سنرسل عبوة جديدة اليوم ونستلم القديمة.",
            "يرجى عدم استعمال الدواء. سيتم ترتيب البديل.",
        ),
        (
            "متى تغلقون يوم الجمعة؟",
            "نغلق الساعة الثانية ظهرًا أيام الجمعة.",
            "أوقات الدوام موجودة على موقعنا.",
        ),
        (
            "هل يمكن أن يتصل بي أحد؟",
            "بالتأكيد. ما الوقت المناسب لك؟ نتصل بين التاسعة صباحًا والخامسة مساءً.",
            "نعم، سيتصل بك أحد.",
        ),
        (
            "المقاس صغير. كيف أرجعه؟",
            "لا مشكلة. ضعه في علبته، وسلّمه في أي نقطة استلام لدينا خلال ١٤ يومًا مع رقم الطلب.",
            "كان عليك التحقق من جدول المقاسات قبل الطلب.",
        ),
        ("شكرًا على إصلاح الإنترنت!", "العفو! يسعدنا أنه عاد يعمل. نحن هنا في أي وقت.", "تمام"),
    ],
    "fa_AF": [
        (
            "بسته‌ام کی می‌رسد؟",
            "بستهٔ شما امروز از گدام ما روان شد و احتمالاً روز پنجشنبه می‌رسد. با نمبر تعقیب که در پیام کوتاه برای تان آمده، می‌توانید آن را دنبال کنید.",
            "وقت رسیدن بسته به چیزهای زیادی ربط دارد. لطفاً بعداً ببینید.",
        ),
        (
            "چرا پولم دو بار کم شده؟",
            "معذرت می‌خواهیم. دو پرداخت برای فرمایش ۵۸۲۱۳ می‌بینیم. پرداخت دوم را در ۳ روز کاری پس می‌فرستیم.",
            "این مشکل ما نیست، به بانک تان بروید.",
        ),
        (
            "آدرس رساندن را تغییر داده می‌توانم؟",
            "بلی. فرمایش خود را باز کنید، «تغییر آدرس» را بزنید و آدرس نو را تا ساعت ۶ شام روز پیش از رساندن بنویسید.",
            "بلی، در بعضی حالات و با بعضی شرایط ممکن است.",
        ),
        (
            "اپلیکیشن هر بار مرا از حسابم بیرون می‌کند.",
            "ببخشید که به مشکل برخوردید. لطفاً اپلیکیشن را به نسخهٔ آخر تازه کنید؛ برای بیشتر کسان مشکل حل می‌شود. اگر باز هم شد، دوباره برای ما بنویسید.",
            "اپ را آپدیت کن.",
        ),
        (
            "به قریه‌ها هم سودا می‌رسانید؟",
            "به بیشتر قریه‌ها تا ۵۰ کیلومتری شهر می‌رسانیم و کرایه‌اش ۲۰۰ افغانی است. نام قریه را برای ما بفرستید تا معلوم کنیم.",
            "سلام! از پیام تان تشکر! ما همیشه از شنیدن صدای مشتریان عزیز خوش می‌شویم! دربارهٔ سوال تان، مربوط می‌شود.",
        ),
        (
            "دوا تاریخ‌تیرشده رسید.",
            "این نباید می‌شد و معذرت می‌خواهیم. لطفاً از آن دوا استفاده نکنید. امروز یک قطی نو می‌فرستیم و قطی کهنه را پس می‌گیریم.",
            "لطفاً از دوا استفاده نکنید. بدیلش تنظیم خواهد شد.",
        ),
        (
            "روز جمعه چه وقت می‌بندید؟",
            "روزهای جمعه ساعت ۲ بعد از ظهر می‌بندیم.",
            "وقت‌های کاری ما در ویب‌سایت ما است.",
        ),
        (
            "کسی به من زنگ زده می‌تواند؟",
            "حتماً. چه وقت برای تان مناسب است؟ ما از ساعت ۹ صبح تا ۵ عصر زنگ می‌زنیم.",
            "بلی، کسی زنگ می‌زند.",
        ),
        (
            "بوت‌ها خُرد است. چطور پس بدهم؟",
            "مشکلی نیست. آن‌ها را در قطی‌شان بگذارید و در ۱۴ روز با نمبر فرمایش به هر نقطهٔ تحویل ما ببرید.",
            "باید پیش از فرمایش جدول اندازه‌ها را می‌دیدید.",
        ),
        (
            "تشکر که انترنتم را جور کردید!",
            "قابل تشکر نیست! خوش هستیم که دوباره کار می‌کند. هر وقت کار داشتید، برای ما بنویسید.",
            "خوب",
        ),
    ],
    "uk": [
        (
            "Коли приїде моя посилка?",
            "Ваша посилка сьогодні виїхала зі складу й має прибути в четвер. Відстежити її можна за номером з SMS.",
            "Терміни доставки залежать від багатьох чинників. Перевірте пізніше.",
        ),
        (
            "Чому з мене двічі списали гроші?",
            "Перепрошуємо за це. Бачимо два платежі за замовлення 58213. Другий повернемо протягом 3 робочих днів.",
            "Це не наша проблема, звертайтеся в банк.",
        ),
        (
            "Чи можна змінити адресу доставки?",
            "Так. Відкрийте замовлення, натисніть «Змінити адресу» й введіть нову до 18:00 напередодні доставки.",
            "Так, це можливо в окремих випадках за певних умов.",
        ),
        (
            "Застосунок постійно викидає мене з акаунта.",
            "Вибачте за незручності. Оновіть, будь ласка, застосунок до останньої версії: у більшості людей це розв'язує проблему. Якщо не допоможе, напишіть нам ще раз.",
            "Оновіть застосунок.",
        ),
        (
            "Чи доставляєте ви в села?",
            "Доставляємо в більшість сіл у межах 50 км від міста, доставка коштує 60 гривень. Напишіть назву села, і ми перевіримо.",
            "Вітаємо! Дякуємо за ваше повідомлення! Ми завжди раді нашим шановним клієнтам! Щодо вашого питання, усе залежить від обставин.",
        ),
        (
            "Ліки прийшли простроченими.",
            "Такого не мало статися, перепрошуємо. Будь ласка, не вживайте ці ліки. Сьогодні надішлемо нову упаковку й заберемо стару.",
            "Просимо не вживати ліки. Заміну буде організовано.",
        ),
        (
            "До котрої ви працюєте в п'ятницю?",
            "У п'ятницю ми працюємо до 14:00.",
            "Графік роботи є на нашому сайті.",
        ),
        (
            "Можете мені передзвонити?",
            "Звісно. Коли вам зручно? Ми телефонуємо з 9:00 до 17:00.",
            "Так, вам передзвонять.",
        ),
        (
            "Кросівки замалі. Як їх повернути?",
            "Без проблем. Покладіть їх у коробку й протягом 14 днів віднесіть у будь-який наш пункт видачі разом із номером замовлення.",
            "Треба було дивитися таблицю розмірів перед замовленням.",
        ),
        (
            "Дякую, що полагодили інтернет!",
            "Раді були допомогти! Добре, що все знову працює. Пишіть нам будь-коли.",
            "ок",
        ),
    ],
}

# why the better reply is better, for the pairs used as gold (pair number -> locale -> text)
WHY = {
    1: {
        "en": "It says when the parcel will arrive (Thursday) and how to follow it. The other answer gives no useful information.",
        "ar": "يحدد موعد وصول الطرد (الخميس) وطريقة متابعته. أما الجواب الآخر فلا يقدّم أي معلومة مفيدة.",
        "fa_AF": "می‌گوید که بسته کی می‌رسد (پنجشنبه) و چطور دنبالش شود. جواب دیگر هیچ معلومات مفیدی نمی‌دهد.",
        "uk": "Вона каже, коли прибуде посилка (у четвер) і як її відстежити. Інша відповідь не дає нічого корисного.",
    },
    2: {
        "en": "It apologises, says what went wrong and when the money comes back. The other answer is rude and does not help.",
        "ar": "يعتذر، ويوضح ما حدث، ومتى يعود المبلغ. أما الجواب الآخر فجافّ ولا يساعد.",
        "fa_AF": "معذرت می‌خواهد، می‌گوید چه شده و پول کی پس می‌آید. جواب دیگر بی‌ادبانه است و کمکی نمی‌کند.",
        "uk": "Вона перепрошує, пояснює, що сталося і коли повернуть гроші. Інша відповідь груба й нічим не допомагає.",
    },
    5: {
        "en": "It answers the question: which villages, the price, and what to send. The other answer is friendly but says nothing.",
        "ar": "يجيب عن السؤال: أيّ القرى، وكم الأجرة، وما المطلوب إرساله. أما الجواب الآخر فودود لكنه لا يقول شيئًا.",
        "fa_AF": "به سوال جواب می‌دهد: کدام قریه‌ها، چند کرایه و چه باید فرستاده شود. جواب دیگر دوستانه است، ولی هیچ چیز نمی‌گوید.",
        "uk": "Вона відповідає на питання: які села, скільки коштує і що надіслати. Інша відповідь привітна, але нічого не каже.",
    },
    9: {
        "en": "It is friendly and says exactly how to return the shoes. The other answer blames the customer and does not help.",
        "ar": "ودود ويشرح بالضبط طريقة الإرجاع. أما الجواب الآخر فيلوم العميل ولا يساعده.",
        "fa_AF": "دوستانه است و دقیق می‌گوید که بوت‌ها چطور پس داده شوند. جواب دیگر مشتری را ملامت می‌کند و کمکی نمی‌کند.",
        "uk": "Вона привітна й точно пояснює, як повернути взуття. Інша відповідь звинувачує клієнта й не допомагає.",
    },
    10: {
        "en": 'It answers the thanks warmly and invites the customer to write again. A bare "ok" sounds cold.',
        "ar": "يردّ على الشكر بلطف ويدعو العميل إلى المراسلة من جديد. أما «تمام» وحدها فتبدو باردة.",
        "fa_AF": "با مهربانی جواب تشکر را می‌دهد و مشتری را به نوشتن دوباره دعوت می‌کند. یک «خوب» خالی سرد به نظر می‌رسد.",
        "uk": "Вона тепло відповідає на подяку й запрошує писати знову. Саме «ок» звучить холодно.",
    },
}
WHICH = {
    "a": {
        "en": "The first answer. ",
        "ar": "الجواب الأول. ",
        "fa_AF": "جواب اول. ",
        "uk": "Перша відповідь. ",
    },
    "b": {
        "en": "The second answer. ",
        "ar": "الجواب الثاني. ",
        "fa_AF": "جواب دوم. ",
        "uk": "Друга відповідь. ",
    },
}
GOLD = {"en": (1, 2), "ar": (5, 9), "fa_AF": (2, 10), "uk": (1, 9)}


def shown(language: str, message: str, reply: str) -> str:
    return f"{CUSTOMER[language]}: {message}\n{REPLY[language]}: {reply}"


def main() -> None:
    fields = ["id", "language", "text", "text_b", "gold"]
    fields += [f"explanation_{loc}" for loc in LOCALES]
    rows = []
    truth = []
    for number in range(1, 11):  # languages interleaved: no language waits behind another
        for language in LOCALES:
            message, better, worse = PAIRS[language][number - 1]
            side = BETTER[number - 1]
            first, second = (better, worse) if side == "a" else (worse, better)
            item_id = f"{PREFIX[language]}{number:02d}"
            row = dict.fromkeys(fields, "")
            row |= {
                "id": item_id,
                "language": language,
                "text": shown(language, message, first),
                "text_b": shown(language, message, second),
            }
            if number in GOLD[language]:
                row["gold"] = side
                row |= {
                    f"explanation_{loc}": WHICH[side][loc] + WHY[number][loc] for loc in LOCALES
                }
            else:
                truth.append([item_id, side])
            rows.append(row)
    items = ROOT / "tasks" / "projects" / "clearer-answer" / "items.csv"
    with items.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    truth_file = ROOT / "tasks" / "demo_tools" / "clearer_answer_truth.csv"
    with truth_file.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([["id", "answer"], *truth])


if __name__ == "__main__":
    main()
