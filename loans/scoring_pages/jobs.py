"""Training and county scoring started from the model pages: on an RQ worker when REDIS_URL
is configured (the departmental import queue, so `flask import-worker` runs them too),
inline in the request otherwise. Either way the run's progress and result are kept on its
`ScoreJob` row, which the job page polls; RQ's failure callback marks a run whose worker
died or timed out as failed.
"""

import logging
from datetime import date, timedelta
from typing import Any

from flask import current_app
from rq import get_current_job
from sqlalchemy import select, update

from agri_credit.departmental.jobs import enqueue_or_run, is_lost, mark_lost, progress_of
from models import N_, Region, ScoreJob, User, db, utcnow

log = logging.getLogger(__name__)
# Named, not imported: the worker module sits above `loans` and gives the job an app context.
WORKER_ENTRY = "worker.run_score_job"
FAILURE_ENTRY = "worker.score_job_failed"
JOB_TIMEOUT = 60 * 60  # seconds; training on 200,000 loans takes about two minutes
RUNNING = ("queued", "running")
# Stored or shown as data, translated where shown.
STATUS_LABELS = {
    "queued": N_("排队中"),
    "running": N_("运行中"),
    "done": N_("已完成"),
    "failed": N_("失败"),
}
KIND_LABELS = {"train": N_("训练模型"), "score": N_("全县评分")}
FAILED_MESSAGE = N_("任务运行出错，未保存结果。请稍后重试，或请管理员查看服务器日志。")
LOST_MESSAGE = N_("后台任务中断（进程退出或超时），未保存结果。")


class RunRefused(ValueError):
    """A run that may not start now; Chinese message."""


def running(kind: str) -> ScoreJob | None:
    """A run of this kind still queued or running, started within the job timeout (an
    older one was lost with its process and no longer blocks)."""
    since = utcnow() - timedelta(seconds=JOB_TIMEOUT)
    return db.session.scalar(
        select(ScoreJob)
        .where(ScoreJob.kind == kind, ScoreJob.status.in_(RUNNING), ScoreJob.created_at > since)
        .limit(1)
    )


def start(kind: str, as_of: date, user: User) -> ScoreJob:
    """Queue a run and dispatch it; refused while another run of the kind is going."""
    if running(kind) is not None:
        raise RunRefused(
            N_("已有一个训练任务正在运行，请等它结束。")
            if kind == "train"
            else N_("已有一个评分任务正在运行，请等它结束。")
        )
    job = ScoreJob(kind=kind, as_of=as_of, requested_by_id=user.id, status="queued", result={})
    db.session.add(job)
    db.session.commit()
    dispatch(job.id)
    return job


def dispatch(job_id: int) -> None:
    enqueue_or_run(ScoreJob, job_id, WORKER_ENTRY, FAILURE_ENTRY, run_score_job, "score", JOB_TIMEOUT)


def _set(job_id: int, **values: Any) -> None:
    db.session.execute(update(ScoreJob).where(ScoreJob.id == job_id).values(**values))
    db.session.commit()


def run_score_job(job_id: int) -> None:
    """The job body, on a worker or inline. A run another process already took is left
    alone (the conditional update moves it from queued to running once)."""
    if get_current_job() is not None:
        # A forked work horse must not reuse the parent's pooled connections.
        db.engine.dispose(close=False)
    taken = db.session.execute(
        update(ScoreJob)
        .where(ScoreJob.id == job_id, ScoreJob.status == "queued")
        .values(status="running", step=N_("开始"))
    ).rowcount
    db.session.commit()
    if not taken:
        return
    job = db.session.get(ScoreJob, job_id)
    user = db.session.get(User, job.requested_by_id) if job.requested_by_id else None

    def progress(fraction: float, step: str) -> None:
        _set(job_id, fraction=round(fraction, 3), step=step)

    from loans.scoring.registry import RegistryRefused
    from loans.scoring.service import TrainingRefused

    try:
        result, model_id = _run(job.kind, job.as_of, user, progress)
    except (TrainingRefused, RegistryRefused) as exc:  # a Chinese message for the user
        db.session.rollback()
        # The msgid, with its figures in `result`: the job page says it in the reader's language.
        params = getattr(exc, "params", {})
        _set(
            job_id,
            status="failed",
            message=getattr(exc, "msgid", str(exc)),
            result={"message_params": params} if params else {},
            finished_at=utcnow(),
        )
        return
    except Exception:
        db.session.rollback()
        log.exception("score job %s failed", job_id)
        _set(job_id, status="failed", message=FAILED_MESSAGE, finished_at=utcnow())
        if get_current_job() is not None:
            raise
        return
    _set(
        job_id,
        status="done",
        fraction=1.0,
        step=N_("完成"),
        result=result,
        model_id=model_id,
        finished_at=utcnow(),
    )


def _run(kind: str, as_of: date, user: User | None, progress) -> tuple[dict, int | None]:
    # LightGBM and friends load only when a run starts (seconds of import for every worker).
    from loans.scoring.service import score_scope, train_county
    from loans.scoring.truth import read_truth

    if kind == "train":
        version, report = train_county(
            as_of,
            user,
            current_app.config,
            truth=read_truth(current_app.instance_path),  # the demo's known probabilities
            progress=progress,
        )
        keep = (
            "auc",
            "ks",
            "gini",
            "brier",
            "baseline_auc",
            "baseline_ks",
            "true_probability_auc",
            "true_probability_rows",
            "rows",
            "rows_test",
        )
        return {"model_version": version, **{k: report.get(k) for k in keep}}, version
    region = db.session.get(Region, user.scope_code) if user else None
    return score_scope(region, as_of, current_app.config, progress=progress), None


def score_job_failed(job: Any, connection: Any, *exc_info: Any) -> None:
    """RQ's failure callback (a killed work horse, a timeout): the run failed."""
    mark_lost(ScoreJob, int(job.args[0]), LOST_MESSAGE)


def lost(job: ScoreJob) -> bool:
    return is_lost(job, JOB_TIMEOUT)


def progress_state(job: ScoreJob) -> dict[str, Any]:
    """Status for the job page's progress bar (the msgids; the caller translates)."""
    return progress_of(job, JOB_TIMEOUT, STATUS_LABELS, LOST_MESSAGE)
