"""The operations behind the commands, as plain functions that return data.

``new`` (chassis.new), ``update`` (chassis.update), ``check`` (chassis.projects) and
``add_module`` (chassis.modules) each live in a module of their own; chassis._copier
is the one boundary that imports Copier. This module gathers what the command line and
the tests call.

Safety rules, each from DESIGN.md:

* ``new`` renders into the target, where Copier runs the template's tasks, and
  removes what it wrote if anything fails or Ctrl-C arrives: no half project.
* ``update`` never runs Copier in the team's tree. It refuses a dirty tree,
  runs ``copier update`` in a throwaway clone, and copies the result back
  with signals held off; if anything fails, every touched file is restored
  from HEAD, which is exact because the tree was clean.
* Copier always gets an explicit ``Settings()``, so a user's own Copier
  settings file cannot silently change answers.
"""

from __future__ import annotations

from chassis._decisions import Decision
from chassis.modules import AddResult, add_module
from chassis.new import NewResult, check_target, new
from chassis.projects import (
    ANSWERS_FILE,
    CheckResult,
    OpenTemplate,
    Project,
    check,
    open_template,
    read_project,
)
from chassis.update import FileChange, UpdateResult, update

__all__ = [
    "ANSWERS_FILE",
    "AddResult",
    "CheckResult",
    "Decision",
    "FileChange",
    "NewResult",
    "OpenTemplate",
    "Project",
    "UpdateResult",
    "add_module",
    "check",
    "check_target",
    "new",
    "open_template",
    "read_project",
    "update",
]
