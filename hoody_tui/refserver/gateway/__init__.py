"""The gateway flavour of the reference server: a local ``hoody-agent-d`` (the in-container
agent gateway, ``shared/api-contract.md`` §2, seed ``002``), started with
``hoody-refserver --flavor gateway`` or :func:`start_gateway_in_thread`.

Modules: :mod:`.state` (sessions, jobs, turns, gates, tasks; the test driving API),
:mod:`.records`, :mod:`.gates` (the 409 rules), :mod:`.turns` (playing a turn),
:mod:`.prompts` (what a prompt plays), :mod:`.loops`, :mod:`.ring` (seq + 1024-event ring),
:mod:`.stream` (SSE), :mod:`.routes`, :mod:`.control` (test-only routes), :mod:`.app`,
:mod:`.runner`, :mod:`.script` (the seeded scenario), :mod:`.errors`, :mod:`.http`,
:mod:`.durations`.

Routes (under ``/api/v1/agent``; every error body is ``{"error": message, "code": code}``)
=========================================================================================

======  ======================================  ===============================================
Method  Path                                    Status codes
======  ======================================  ===============================================
GET     /health                                 200 (no auth)
GET     /sessions?include_system&page&limit     200 ``{items, meta:{page,limit,total}}``; 400
POST    /sessions                               200 summary (create / ``attach`` / ``fork``);
                                                400 invalid_request, invalid_realm; 404
GET     /sessions/cwds                          200 ``{items, meta}``
GET     /sessions/{id}                          200 summary; 404 session_not_found
DELETE  /sessions/{id}[?hard=true]              200 ``{ok,id,hard}``; 404
POST    /sessions/{id}/cancel                   200 ``{ok,cancelled,job_id}``; 404
POST    /sessions/{id}/close                    200 ``{ok,id}``; 404
PATCH   /sessions/{id}/model|agent|effort|      200 summary; 400; 404
        verbosity|hoody-env
POST    /sessions/{id}/messages                 202 ``{job_id}``; 400; 404;
                                                409 turn_in_flight, gate_parked
POST    /sessions/{id}/prompt:sync              200 ``{job_id,ok,text,turn_idx,error}`` or
                                                ``{job_id,pending_gate}``; 400
                                                invalid_gate_policy; 404; 409 as messages
POST    /sessions/{id}/prompt:stream            200 SSE of the turn, closed after
                                                ``agent_done``; 400; 404; 409 as messages
GET     /sessions/{id}/stream?since             200 SSE (also ``Last-Event-ID``); 400; 404
GET     /sessions/{id}/replay?min_seq&max_seq   200 ``{events,min_seq,max_seq}``; 404
POST    /sessions/{id}/confirm                  200 ``{ok,gate_id,generation,outcome,approved,
                                                persist_dirs?,dirs?}``; 400; 404;
                                                409 no_pending_gate, stale_gate,
                                                gate_already_answered, gate_type_mismatch
POST    /sessions/{id}/answer                   200 ``{ok,gate_id,generation,outcome,answer}``;
                                                400; 404; 409 as confirm
POST    /sessions/{id}/answer:assist            202 ``{job_id}``; 404; 409 assist_in_flight
                                                and the gate codes
GET     /sessions/{id}/loops?page&limit         200 ``{items, meta}``; 404
POST    /sessions/{id}/loops                    200 loop; 400; 404
PATCH   /sessions/{id}/loops/{loopId}           200 loop; 400 invalid_intent / invalid_request;
                                                404 loop_not_found
DELETE  /sessions/{id}/loops/{loopId}           200 ``{ok,id,deleted}``; 404
POST    /sessions/{id}/loops/{loopId}/run-now   202 ``{job_id, loop}``; 404;
                                                409 turn_in_flight, gate_parked
GET     /sessions/{id}/tasks                    200 ack ``{ok,requested,seq}`` (+ event); 404
POST    /sessions/{id}/tasks/cancel             200 ``{ok,cancelled}``; 404
GET     /sessions/{id}/tasks/{tid}/transcript   200 ack (+ event); 404 task_not_found
        ?after_seq
POST    /sessions/{id}/tasks/{tid}/cancel       200 ``{ok,tid,status}``; 404
GET     /jobs/{id}                              200 job; 404 job_not_found
GET     /jobs/{id}/result                       200 ``{id,status,result,error}`` when
                                                terminal, 202 (``result: null``) before; 404
DELETE  /jobs/{id}                              200 job (cancelled) / ``{ok,id,deleted}``; 404
======  ======================================  ===============================================

Any route may also answer 401 unauthorized (claim auth), 404 not_found (unknown route),
405 method_not_allowed, or an injected fault (5xx ``internal_error``, 503
``store_unavailable``). With ``control=True``, ``/_control/…`` routes (see
:mod:`.control`) drive it like the Python API below.

Shapes
======

Job: ``{"id","kind":"turn|loop_run|answer_assist","status":"queued|running|completed|
failed|cancelled","session_id","run_id"(null while queued),"created_at","started_at",
"finished_at","error","loop_id"?}``. A turn job's ``result`` is ``{"ok","text",
"turn_idx","error"}``; an assist's ``{"suggestion","gen"}``.

Loop: ``{"id","session_id","prompt","interval","max_runs","runs","stop_when",
"max_cost_usd","cost_usd","max_wall_ms","wall_ms","paused","expires_at","next_run_at",
"last_run_at","status":"active|paused|finished|expired","stop_reason","last_job_id",
"created_at"}``.

Session summary: ``{"id","title","cwd","model","agent","live","turn_in_flight",
"pending_gate","created_at","updated_at"}`` plus ``job_id`` (the turn in flight),
``turns``, ``system``, ``realm``, ``container``, ``tool_mode``, ``dir_scope``, ``backend``,
``delegated_agent``, ``headless``, ``effort``, ``verbosity``, ``hoody_env``.

``pending_gate`` (null when nothing is parked)::

    {"gate_id": "gate_…", "type": "confirm", "generation": 1, "tool": "bash",
     "summary": "Run `rm -rf build/`", "args": {"command": "rm -rf build/"},
     "dirs": ["/home/dev/projects/acme-web/src"],      # edit-like tools only: persist_dirs applies
     "call_id": "call_…", "created_at": 1700000000000}
    {"gate_id": "gate_…", "type": "question", "generation": 2, "question": "Which database?",
     "header": "Which database", "options": ["postgres", "sqlite"], "multiple": false,
     "created_at": …}                                  # several questions: "fields": [{name, question, options}]

Stream frames: ``id: <seq>`` / ``event: <type>`` / ``data: {"type","seq","session_id","ts",…}``
(``seq`` per session from 1; ``: heartbeat`` comments every ``heartbeat_interval``):

- ``event.turn_started`` ``{job_id, turn_idx, text, loop_id?}``
- ``event.thinking`` ``{text}``; ``event.text_delta`` ``{delta}``
- ``event.tool_call`` ``{call_id, tool, title, args}``; ``event.tool_result`` ``{call_id, tool, ok, output | error}``
- ``event.confirm_request`` ``{gate_id, generation, tool, summary, args, dirs?, call_id}``
- ``event.user_question`` ``{gate_id, generation, question, header, options, multiple}`` (or ``fields``)
- ``event.gate_resolved`` ``{gate_id, generation, gate_type, outcome: approved|denied|answered|cancelled,
  approved?, persist_dirs?, dirs?, answer?, auto?}``
- ``agent_done`` ``{job_id, ok, turn_idx, error?}`` (``error`` "cancelled" or "Confirm denied: …")
- ``event.question_suggestion`` ``{gen, suggestion, job_id}``
- ``event.tasks_snapshot`` ``{tasks: [{tid, status, title}]}``; ``event.task_transcript`` ``{tid, entries: [{seq, text, ts}], seq}``
- ``event.loop_updated`` ``{loop}``; ``event.loop_deleted`` ``{loop_id}``; ``event.session_updated`` ``{changes}``
- not in the ring: ``event: lagged`` (``id:`` = head) ``{"type":"lagged","code":"replay_gap","session_id",
  "since","min_seq","max_seq","message"}``; ``event: event.replay`` (no id)
  ``{"type","session_id","events","min_seq","max_seq"}``.

Driving it from a test
======================

::

    srv = start_gateway_in_thread(ServerConfig(scenario="idle", sessions=0, speed=50))
    sid = srv.call(srv.state.create_session, "t")["id"]
    gate = srv.call(srv.state.park_gate, sid)                 # a confirm gate, parked now
    srv.call(srv.state.park_gate, other, "question", options=["a", "b"])
    job = srv.call(srv.state.start_turn, sid, hold=True)      # turn_in_flight until…
    srv.call(srv.state.release, sid)
    head = srv.call(srv.state.push_events, sid, 1100)         # overflow the ring
    srv.set_faults(drop_after=3)                              # the workspace flavour's faults
    srv2 = srv.restart(pending_gates=2)                       # same port, new state and gates
    srv2.stop()

A prompt drives a turn exactly: ``"run `rm -rf build/`"`` parks a confirm (commands outside
the safe list do), ``"ask: Which DB? [pg | lite]"`` a question; plain text gets a plain
reply (no gate) outside the ``demo`` scenario.

Vague points and how they are resolved
======================================

- Auth (C13): no Bearer ever. With a token (``--token-file`` / ``$HOODY_REFSERVER_TOKEN``)
  the mode is ``claim``: every route but health needs ``X-Hoody-Container-Claim`` (any
  non-empty value) and ``X-Hoody-Token`` = the token, else 401. ``--gateway-auth none``
  trusts the network even with a token; no token = ``none``.
- Pages: ``page`` 1-based, ``limit`` default 50, ``limit=0`` = everything; the envelope is
  ``{items, meta:{page,limit,total}}``; sessions newest first. There is no cursor.
- ``seq`` is per session. ``since``/``Last-Event-ID`` = the last seq seen (events after it
  are sent); the header wins over the query. No cursor = live from now. A cursor older than
  the ring (``since + 1 < min_seq``) or newer than the head (a cursor from before a
  restart) is a gap: ``lagged``, then the stream goes on live. ``replay`` takes optional
  ``min_seq``/``max_seq`` filters; the reply's bounds are the ring's.
- Gates: ``generation`` counts gates per session. Check order: answered echo →
  ``gate_already_answered``; nothing parked → ``no_pending_gate``; echo ≠ parked →
  ``stale_gate``; wrong route → ``gate_type_mismatch``. A gate cancelled with its turn is
  not "answered". ``approved`` defaults to true; ``persist_dirs`` saves the gate's ``dirs``
  and later gates on those dirs are not asked. Deny ends the turn (job ``failed``).
  ``auto_approve`` (prompt:sync/stream only) emits the confirm and resolves it at once
  (``auto: true``). The resolution event name (``event.gate_resolved``) is ours.
- Turn slot: ``messages``, ``prompt:*`` and ``run-now`` answer 409 ``gate_parked`` while a
  gate is open, else ``turn_in_flight`` while a turn runs.
- Sessions: ``close`` and a soft ``DELETE`` both leave the live map (the record and ring
  stay, listed with ``live:false``); prompt/gate/cancel/replay/loops/tasks on it are 404
  ``session_not_live`` until ``POST /sessions {"attach": id}``; ``hard`` erases it (404
  ``session_not_found``). Create/fork/attach all answer 200 with the summary.
- Loops (see :mod:`.loops`): PATCH is exactly one of ``{paused}``, ``{expires_in}``, the
  budget ``{max_cost_usd?, max_wall_ms?}`` (both keys are one intent); none, several or an
  unknown key → 400 (``invalid_intent`` / ``invalid_request``). ``stop_when`` matches
  case-insensitively in a run's reply. ``speed`` scales intervals and expiry.
- Jobs: ``result`` of an unfinished job is 202 ``{result: null}``; DELETE cancels an
  unfinished job (a turn job cancels the turn) or deletes a finished one.
- Tasks: the GETs only ack and emit the event; ``after_seq`` re-sends the entry at the
  cursor (``seq >= after_seq``; upsert by ``seq``).

Left out: WebSocket (SSE only), ``trim``, ``auto-reply``, ``workflow/messages``, tools,
the other namespaces (models, memory, …), scope-header rejections (``X-Hoody-Container``
400, ``realm_scope_unsupported``); the realm is only validated on ``POST /sessions``.
"""

from .runner import RunningGateway, create_gateway, serve_gateway, start_gateway_in_thread
from .state import GatewayState

__all__ = ["RunningGateway", "GatewayState", "start_gateway_in_thread", "serve_gateway", "create_gateway"]
