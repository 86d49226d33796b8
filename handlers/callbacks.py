"""Callback data: short prefixes, typed fields. Clients can send any bytes: handlers re-check."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class PickLanguage(CallbackData, prefix="lg"):
    locale: str
    invite: str = ""


class Consent(CallbackData, prefix="cs"):
    locale: str
    accept: bool
    invite: str = ""


class MenuAction(CallbackData, prefix="m"):
    action: str


class ChangeLanguage(CallbackData, prefix="sl"):
    locale: str


class CohortAction(CallbackData, prefix="co"):
    action: str
    cohort_id: int


class OpenCourse(CallbackData, prefix="lc"):
    course: str


class TurnPage(CallbackData, prefix="lp"):
    """One page on from the page seen: `lesson` id and page number ("" and 0: after the last
    lesson, at the quiz door)."""

    course: str
    lesson: str
    page: int
    forward: bool


class StartQuiz(CallbackData, prefix="lq"):
    course: str


class PickOption(CallbackData, prefix="la"):
    """An answer to one question (by id) of one attempt. `course` is the course's short key
    (courses.library.course_key): three ids do not fit 64 bytes."""

    course: str
    attempt: int
    question: str
    option: str


class QuizContinue(CallbackData, prefix="lx"):
    course: str


class GetCertificate(CallbackData, prefix="lz"):
    course: str


class StartPractice(CallbackData, prefix="pg"):
    course: str


class ItemAnswer(CallbackData, prefix="ia"):
    """An answer on an item card: practice items now, paid work items later (`kind`).

    `ref` is what the items belong to (for practice, the course's short key), `item` its id."""

    kind: str
    ref: str
    item: str
    label: str


class PracticeNext(CallbackData, prefix="pn"):
    course: str


class WorkOpen(CallbackData, prefix="wo"):
    """A project's screen: its instructions, the rules, the worker's accuracy."""

    project: str


class WorkNext(CallbackData, prefix="wn"):
    """The item the worker holds in the project, or a new one."""

    project: str


class WorkAnswer(CallbackData, prefix="wa"):
    """An answer on assignment `a`: `i` indexes the project's answers (see handlers.work)."""

    a: int
    i: int


class WorkToggle(CallbackData, prefix="wt"):
    """Tagging: `m` is the set of labels chosen so far (bit i: answer i), `submit` sends it."""

    a: int
    m: int
    submit: bool = False


class WorkPutBack(CallbackData, prefix="wp"):
    """Skip, not sure, or a report (reason); "menu" opens the report reasons."""

    a: int
    r: str


class WorkLesson(CallbackData, prefix="wl"):
    """The lesson that teaches a project, read from the work loop without moving progress."""

    project: str


class ProjectPick(CallbackData, prefix="cpj"):
    """A project's figures; "" is the list of projects."""

    p: str


class ProjectSetState(CallbackData, prefix="cps"):
    """Move project `p` to state `s`; closing asks first (`ok` false)."""

    p: str
    s: str
    ok: bool = False


class ProjectExport(CallbackData, prefix="cpx"):
    p: str


class ReviewShow(CallbackData, prefix="crq"):
    """The review queue of project `p`, at position `n` (0 = the first item)."""

    p: str
    n: int = 0


class ReviewSettle(CallbackData, prefix="crs"):
    """Item `i` seen at queue position `n`: `m` is the set of answers chosen (bit k: answer k of
    tasks.review.choices); `go` settles it, else the screen shows the choice (tagging)."""

    i: int
    m: int
    n: int
    go: bool = False


class NameStep(CallbackData, prefix="lzn"):
    """The certificate name for `course`: "yes" makes the certificates, "change" asks again,
    "fix" asks for a correction of an issued certificate, "fixed" makes the corrected one."""

    course: str
    do: str


class PayoutStep(CallbackData, prefix="po"):
    """The payout method screens: "menu" lists the methods, "kind" picks `kind` (asks for its
    details, or confirms cash), "save" stores the method confirmed."""

    do: str
    kind: str = ""


class DisputeOpen(CallbackData, prefix="dso"):
    """The worker disputes their assignment `a` (not paid, or a control answer marked wrong)."""

    a: int


class DisputeShow(CallbackData, prefix="dsq"):
    """Open dispute number `n` of project `p`'s ("": of every project) that the coordinator
    may decide."""

    p: str
    n: int = 0


class DisputeDecide(CallbackData, prefix="dsd"):
    """Decide dispute `d`: `rev` reverses it (pays the answer), else it is upheld; without
    `ok` the coordinator is first asked for an optional reason."""

    d: int
    rev: bool
    ok: bool = False


class EarningsView(CallbackData, prefix="eh"):
    """The worker's history: "day", "project", or "answers" (recent answers, to dispute)."""

    v: str


class PracticeToggle(CallbackData, prefix="pt"):
    """A multi-label practice item: `m` is the set of tags ticked so far (bit i: tag i of the
    item), `submit` sends it. `ref` is the course's short key."""

    ref: str
    item: str
    m: int
    submit: bool = False


class BroadcastAudience(CallbackData, prefix="bca"):
    """An audience for a new broadcast: its kind, then (`value`) the group's id, the language,
    the course's or project's short key or the number of days; "" shows the choices."""

    kind: str
    value: str = ""


class BroadcastStep(CallbackData, prefix="bcs"):
    """A step on broadcast `b`: writing it (skip a language, the fallback `v`, no photo, when),
    sending it (`v`: "" now, else the POSIX time), and stopping it."""

    b: int
    do: str
    v: str = ""


class PayoutAdmin(CallbackData, prefix="pa"):
    """Coordinators' payout screens: "list" the batches, "batch" period `p` in currency `c`
    (page `n`), "one" payout `i`; "paid"/"failed" ask to confirm the batch (`i` 0) or the
    payout, "yes" marks them paid. Every id is checked against the member's organisation."""

    do: str
    p: str = ""
    c: str = ""
    i: int = 0
    n: int = 0


class SettingsStep(CallbackData, prefix="st"):
    """Settings: "zones" lists the time zones, "zone" sets `v` ("" : the group's); "quiet_menu"
    lists quiet hours, "quiet" sets `v` ("21-8"; "0-0": none); "reminders" lists the kinds,
    "toggle" switches kind `v`; "show" is Settings itself."""

    do: str
    v: str = ""


class PayAccept(CallbackData, prefix="cpa"):
    """Accept project `p`'s answer pay still pending (the coordinator's workers'); `ok` does it,
    else the coordinator is asked first."""

    p: str
    ok: bool = False
