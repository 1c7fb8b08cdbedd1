"""The card's buttons through the dispatcher: «Полезно» toggled and the card redrawn in
place, «Берём в работу» once per branch (the second press says who and when), the
message to the author relayed with the accounts hidden, and the answer to «Получилось?»
four weeks later with its optional comment; wrong input re-asked, /cancel, a restart."""

from __future__ import annotations

from datetime import timedelta

from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
)

from bot.app import build_bot, build_dispatcher
from handlers.callbacks import PracticeCb, PracticeFollowupCb, PracticeMenuCb
from storage.models import PracticeAdoption
from tests.harness.client import BotClient
from tests.harness.session import RecordingSession
from tests.practices.helpers import DENIED, adopted_long_ago, fresh, published, texts_to


def alert(user) -> str | None:
    return user.session.sent(AnswerCallbackQuery)[-1].text


async def fsm(dp, user: BotClient) -> tuple[str | None, dict]:
    context = dp.fsm.get_context(user.bot, user.user.id, user.user.id)
    return await context.get_state(), await context.get_data()


# --- «Полезно» ---------------------------------------------------------------------------


async def test_a_like_toggles_and_the_card_is_redrawn_in_place(
    world, database, clock, make_client, recording
):
    practice = await published(world, database, clock.now())
    user = make_client(world.foreign_member)
    await user.send(f"/start pr_{practice.id}")
    sent_before = len(user.messages())
    await user.click("👍 Полезно (0)")
    assert alert(user) == "👍 Отмечено как полезное. Спасибо!"
    assert isinstance(recording.requests[-1], EditMessageText)
    assert len(user.messages()) == sent_before
    assert "👍 Полезно (1) ✓" in user.buttons()
    assert "👍 Полезно: 1" in user.last_text
    assert (await fresh(database, practice.id)).likes_count == 1

    await user.click("👍 Полезно (1) ✓")
    assert alert(user) == "Отметка «Полезно» снята."
    assert "👍 Полезно (0)" in user.buttons()
    assert (await fresh(database, practice.id)).likes_count == 0


async def test_the_author_cannot_like_her_own(world, database, clock, make_client):
    practice = await published(world, database, clock.now())
    author = make_client(world.author)
    await author.click_data(PracticeCb(action="like", id=practice.id).pack())
    assert alert(author) == "Это ваша практика: отмечать свою нельзя."
    assert (await fresh(database, practice.id)).likes_count == 0


# --- «Берём в работу» --------------------------------------------------------------------


async def test_a_branch_adopts_once_and_the_second_press_says_who(
    world, database, clock, make_client
):
    practice = await published(world, database, clock.now())
    member = make_client(world.foreign_member, "Фёдор")  # 20-04
    await member.send(f"/start pr_{practice.id}")
    await member.click("🛠 Берём в работу")
    assert alert(member) == (
        "🛠 Ваше отделение взяло практику в работу. Через четыре недели спросим, получилось ли."
    )
    assert "🛠 Взяли в работу: 1" in member.last_text
    assert "🛠 Уже в работе у вашего отделения" in member.buttons()
    notices = await texts_to(database, world.author)
    assert any("взяли в работу 1 отделение" in text for text in notices)
    assert not any("Фёдор" in text for text in notices)  # the adopter's name

    secretary = make_client(world.foreign_secretary)  # the same branch, 20-04
    await secretary.send(f"/start pr_{practice.id}")
    await secretary.click("🛠 Уже в работе у вашего отделения")
    assert alert(secretary) == (
        "Ваше отделение уже взяло эту практику в работу: Фёдор, 23.11.2026."
    )
    assert (await fresh(database, practice.id)).adoptions_count == 1

    own = make_client(world.member)  # the author's own branch
    await own.click_data(PracticeCb(action="adopt", id=practice.id).pack())
    assert alert(own) == "Эта практика — вашего отделения: брать её в работу не нужно."
    assert (await fresh(database, practice.id)).adoptions_count == 1


# --- «Связаться с автором» ---------------------------------------------------------------


async def test_a_message_reaches_the_author_without_the_accounts(
    world, database, clock, make_client, recording
):
    practice = await published(world, database, clock.now(), contact_offer=True)
    user = make_client(world.far_secretary)
    await user.send(f"/start pr_{practice.id}")
    await user.click("✉️ Связаться с автором")
    question = user.messages()[-1]
    assert "Сообщение автору практики" in question["text"]
    assert "Например:" in question["text"]

    await user.send_sticker()
    assert user.last_text.startswith("⚠️ Нужен текст сообщения")
    assert any(
        isinstance(r, DeleteMessage) and r.message_id == question["message_id"]
        for r in recording.requests
    )
    await user.send("Да")
    assert user.last_text.startswith("⚠️ Сообщение слишком короткое: хотя бы 5 символов.")

    await user.send("Как вы собрали жителей на первое собрание <ТОС>?")
    assert user.last_text.startswith("✅ Сообщение передано автору практики")
    assert (await fsm(user.dp, user))[0] is None
    [relayed] = [t for t in await texts_to(database, world.author) if "Сообщение по" in t]
    assert "Как вы собрали жителей на первое собрание &lt;ТОС&gt;?" in relayed
    assert "ПО № 7 — Заельцовский округ, Новосибирская область" in relayed
    assert "Софья" not in relayed


async def test_no_contact_button_without_the_offer_and_a_forged_one_refused(
    world, database, clock, make_client
):
    practice = await published(world, database, clock.now(), contact_offer=False)
    user = make_client(world.foreign_member)
    await user.send(f"/start pr_{practice.id}")
    assert "✉️ Связаться с автором" not in user.buttons()
    await user.click_data(PracticeCb(action="contact", id=practice.id).pack())
    assert alert(user) == "Автор не предлагал связаться с ним."
    assert (await fsm(user.dp, user))[0] is None


async def test_cancel_leaves_the_question(world, database, clock, make_client):
    practice = await published(world, database, clock.now(), contact_offer=True)
    user = make_client(world.foreign_member)
    await user.send(f"/start pr_{practice.id}")
    await user.click("✉️ Связаться с автором")
    await user.send("/cancel")
    assert (await fsm(user.dp, user))[0] is None
    await user.send("Как вы собрали жителей?")
    assert not [t for t in await texts_to(database, world.author) if "Сообщение по" in t]

    await user.send(f"/start pr_{practice.id}")
    await user.click("✉️ Связаться с автором")
    await user.click("✖️ Отмена")
    assert alert(user) == "Отменено."
    assert (await fsm(user.dp, user))[0] is None


async def test_the_question_outlives_a_restart(world, database, clock, settings, make_client):
    practice = await published(world, database, clock.now(), contact_offer=True)
    user = make_client(world.foreign_member)
    await user.send(f"/start pr_{practice.id}")
    await user.click("✉️ Связаться с автором")

    second_dp = build_dispatcher(settings, database, clock=clock, start_background=False)
    second = BotClient(second_dp, build_bot(settings, RecordingSession()), world.foreign_member)
    await second.send("Расскажите, пожалуйста, про совет ТОС")
    assert second.last_text.startswith("✅ Сообщение передано")
    assert any("про совет ТОС" in t for t in await texts_to(database, world.author))


# --- «Получилось?» -----------------------------------------------------------------------


async def test_the_answer_and_a_comment_show_on_the_card(
    world, database, clock, make_client, recording
):
    practice = await published(world, database, clock.now())
    adoption = await adopted_long_ago(
        world, database, practice.id, world.foreign_member, clock.now() - timedelta(days=29)
    )
    user = make_client(world.foreign_member)
    await user.click_data(PracticeFollowupCb(id=adoption, outcome="yes").pack(), message_id=11)
    edit = recording.sent(EditMessageText)[-1]
    assert edit.message_id == 11  # the question itself turns into the thanks
    assert edit.text.startswith("Спасибо! Ответ «получилось» по практике «ТОС на базе первички»")
    assert "Например:" in edit.text
    assert [b.text for row in edit.reply_markup.inline_keyboard for b in row] == ["Пропустить"]

    await user.send_sticker()
    assert user.last_text.startswith("⚠️ Нужен текст")
    await user.send("x" * 1001)
    assert user.last_text.startswith("⚠️ Комментарий слишком длинный")
    await user.send("Собрали совет ТОС & выиграли грант")
    assert user.last_text.startswith("✅ Комментарий сохранён")
    assert (await fsm(user.dp, user))[0] is None

    reader = make_client(world.far_secretary)
    await reader.send(f"/start pr_{practice.id}")
    card = reader.last_text
    assert "(✅ 1 · ❌ 0 · ⏳ 0)" in card
    assert "• ПО № 20-04: получилось — «Собрали совет ТОС &amp; выиграли грант»" in card


async def test_the_comment_can_be_skipped(world, database, clock, make_client, recording):
    practice = await published(world, database, clock.now())
    adoption = await adopted_long_ago(
        world, database, practice.id, world.foreign_member, clock.now() - timedelta(days=29)
    )
    user = make_client(world.foreign_member)
    await user.click_data(PracticeFollowupCb(id=adoption, outcome="trying").pack(), message_id=11)
    assert (await fsm(user.dp, user))[0] == "PracticeReact:comment"
    await user.click_data(PracticeMenuCb(action="skip", id=adoption).pack(), message_id=11)
    assert alert(user) == "Хорошо, без комментария."
    assert (await fsm(user.dp, user))[0] is None
    [took_off] = recording.sent(EditMessageReplyMarkup)
    assert took_off.message_id == 11
    async with database.sessions() as session:
        saved = await session.get(PracticeAdoption, adoption)
        assert saved is not None
        assert (saved.outcome, saved.outcome_comment) == ("trying", None)


async def test_someone_elses_answer_is_refused(world, database, clock, make_client):
    practice = await published(world, database, clock.now())
    adoption = await adopted_long_ago(
        world, database, practice.id, world.foreign_member, clock.now() - timedelta(days=29)
    )
    intruder = make_client(world.far_secretary)
    await intruder.click_data(PracticeFollowupCb(id=adoption, outcome="yes").pack())
    assert alert(intruder) == DENIED
    await intruder.click_data(PracticeFollowupCb(id=999_999, outcome="yes").pack())
    assert alert(intruder) == DENIED
    assert (await fsm(intruder.dp, intruder))[0] is None

    early = await adopted_long_ago(world, database, practice.id, world.far_secretary, clock.now())
    await intruder.click_data(PracticeFollowupCb(id=early, outcome="no").pack())
    assert alert(intruder) == "Спросим, получилось ли, 21.12.2026: до этого ответ не нужен."
