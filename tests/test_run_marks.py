"""db/run_marks.py on its own: a run's mark locked while it runs, gone (lock free) after it ends without
closing, removed at a clean close; what is put in runs/ by anything else is not trusted."""

from __future__ import annotations

import os
import sys

import pytest

from db import run_marks


def test_a_mark_is_a_run_going_while_held_and_a_run_gone_once_let_go(tmp_path):
    run = run_marks.RunMark(tmp_path)
    run.take([])
    assert run.path is not None and run.path.exists()
    assert not run_marks.last_run_unclean(tmp_path)  # held: a run still going
    run.leave()  # as a process that dies
    assert run_marks.marks_of_runs_gone(tmp_path) == [run.path]
    after = run_marks.RunMark(tmp_path)
    after.take(run_marks.marks_of_runs_gone(tmp_path))
    after.give_back(checked_in_full=True)  # found sound in full: the gone run's mark goes too
    assert not list((tmp_path / "runs").iterdir()) and not run_marks.last_run_unclean(tmp_path)


def test_a_clean_close_after_a_quick_check_leaves_the_marks_of_runs_gone(tmp_path):
    gone = run_marks.RunMark(tmp_path)
    gone.take([])
    gone.leave()
    quick = run_marks.RunMark(tmp_path)
    quick.take(run_marks.marks_of_runs_gone(tmp_path))
    quick.give_back(checked_in_full=False)  # its check was not the full one: the debt stays
    assert run_marks.marks_of_runs_gone(tmp_path) == [gone.path]


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need a privilege on Windows")
def test_a_link_in_runs_is_not_followed_nor_taken_for_a_run(tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("not a mark")
    runs = tmp_path / "runs"
    runs.mkdir()
    os.symlink(target, runs / "123-abcd.open")
    assert run_marks.marks_of_runs_gone(tmp_path) == []
    assert target.read_text() == "not a mark"


def test_only_so_many_marks_are_looked_at(tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    runs.mkdir()
    for n in range(30):
        (runs / f"{n}-x.open").write_bytes(b"")
    monkeypatch.setattr(run_marks, "MAX_MARKS_LOOKED_AT", 10)
    assert len(run_marks.marks_of_runs_gone(tmp_path)) == 10
