"""The portal's web pages (server-rendered), route by route."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from .. import auth
from . import board, checking, home, leaders, network, notices, panel, people, practice, upload


def routes() -> list[BaseRoute]:
    return [
        Route("/", home.home, methods=["GET"]),
        Route("/sign-in", auth.sign_in, methods=["GET"]),
        Route("/signed-in", auth.signed_in_callback, methods=["GET"]),
        Route("/sign-out", auth.sign_out, methods=["POST"]),
        Route("/signed-out", auth.signed_out, methods=["GET"]),
        Route("/my-actions", leaders.my_actions, methods=["GET"]),
        Route("/actions/{action_id}", leaders.action_page, methods=["GET"]),
        Route("/actions/{action_id}/answer/{kind}", leaders.answer_form, methods=["GET"]),
        Route("/actions/{action_id}/answer/{kind}", leaders.send_answer, methods=["POST"]),
        Route("/actions/{action_id}/check", checking.verification_form, methods=["GET"]),
        Route("/actions/{action_id}/check", checking.record_verification, methods=["POST"]),
        Route("/actions/{action_id}/cover", checking.cover_form, methods=["GET"]),
        Route("/actions/{action_id}/cover", checking.arrange_cover, methods=["POST"]),
        Route("/notices", notices.my_notices, methods=["GET"]),
        Route("/notices/{notice_id}", notices.notice_page, methods=["GET"]),
        Route("/notices/{notice_id}/acknowledge", notices.acknowledge, methods=["POST"]),
        Route("/panel", panel.agenda_page, methods=["GET"]),
        Route("/panel/items/{action_id}", panel.decision_form, methods=["GET"]),
        Route("/panel/items/{action_id}", panel.record_decision, methods=["POST"]),
        Route("/network", network.network_page, methods=["GET"]),
        Route("/actions/{action_id}/concern", network.concern_form, methods=["GET"]),
        Route("/actions/{action_id}/concern", network.raise_concern, methods=["POST"]),
        Route("/good-practice", practice.library, methods=["GET"]),
        Route("/actions/{action_id}/good-practice", practice.nomination_form, methods=["GET"]),
        Route("/actions/{action_id}/good-practice", practice.nominate, methods=["POST"]),
        Route("/panel/good-practice", practice.panel_practice, methods=["GET"]),
        Route("/panel/good-practice/{nomination_id}", practice.panel_practice, methods=["GET"]),
        Route("/panel/good-practice/{nomination_id}", practice.review, methods=["POST"]),
        Route("/import", upload.import_form, methods=["GET"]),
        Route("/import", upload.dry_run, methods=["POST"]),
        Route("/import/{upload_id}/confirm", upload.confirm, methods=["POST"]),
        Route("/board", board.board_page, methods=["GET"]),
        Route("/board/report", board.report, methods=["GET"]),
        Route("/board/actions/{action_id}", board.consequence_form, methods=["GET"]),
        Route("/board/actions/{action_id}", board.record_consequence, methods=["POST"]),
        Route("/people", people.people, methods=["GET"]),
        Route("/people/new", people.person_form, methods=["GET"]),
        Route("/people/new", people.save_person, methods=["POST"]),
        Route("/people/{person_id}", people.person_form, methods=["GET"]),
        Route("/people/{person_id}", people.save_person, methods=["POST"]),
    ]
