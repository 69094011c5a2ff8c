#!/usr/bin/env python3
"""Checks the deploy kit (deploy/) against the contract; run by render_test.sh.

Every Kustomize overlay is rendered with `kubectl kustomize` (offline), and every manifest, plain
or rendered, is parsed by kubectl itself (`kubectl label --local -o json`, which needs no
cluster). Then, for each Job and CronJob: the Argo CD hook annotations, the retry and deadline
settings, the termination message, the Secret, the exit codes of podFailurePolicy against the
table of SPEC §7, and every --flag of the container's args against `datamig --help`. The fleet
Job (many databases, SPEC §4) is an Indexed Job: its shards, its targets file from a ConfigMap
and the passwords that file names from a Secret are checked too.

Usage: check_manifests.py --repo REPO --spec SPEC.md --binary DATAMIG
"""

import argparse
import json
import os
import re
import subprocess
import sys

# What each exit code of SPEC §7 should do to a Job (podFailurePolicy actions). 0 is success and
# cannot appear in an `In` rule. The test fails when SPEC §7 lists a code that is not here, so a
# new exit code forces a decision.
INTENDED_ACTIONS = {
    1: "FailJob",  # a migration failed / check found errors: a retry fails the same way
    2: "FailJob",  # usage or configuration error, invalid file, version collision
    3: "Count",  # cannot connect, runner lock busy: "safe to retry"
    4: "FailJob",  # an interrupted migration blocks the run until `datamig resolve`
    130: "Ignore",  # stopped by SIGINT, state consistent: the next pod resumes
    143: "Ignore",  # stopped by SIGTERM (pod deleted), state consistent
}
# The fleet Job (SPEC §4, many databases): datamig exits 1 when any target of its shard failed,
# after running the others, so a failed shard fails alone (FailIndex, no retry) and the other
# shards finish; 2 (usage, before any target ran) is the same in every shard, so it fails the Job.
FLEET_ACTIONS = {
    1: "FailIndex",  # a target of the shard failed; its other targets ran
    2: "FailJob",  # usage or configuration error: every shard fails the same way
    3: "Count",  # cannot connect (--schemas lists schemas first): safe to retry the shard
    4: "FailIndex",  # an interrupted migration waits for `datamig resolve`
    130: "Ignore",
    143: "Ignore",
}
SECRET_ENV = "DATABASE_URL"
HOOK_PHASES = {"PreSync": "pre_sync", "PostSync": "post_sync"}
DELETE_POLICY = "BeforeHookCreation"
CONTAINER_NAME = "datamig"

results = {"passed": 0, "failed": 0}
missing_flags = set()  # "datamig COMMAND --flag" the binary does not know


def check(condition, what):
    if condition:
        results["passed"] += 1
    else:
        results["failed"] += 1
        print(f"FAIL: {what}")
    return condition


def kubectl_json(args, stdin=None):
    """Objects that kubectl parses from files or stdin, as JSON (offline: --local)."""
    out = subprocess.run(
        ["kubectl", "label", "--local", "-o", "json", *args, "datamig-render-test-"],
        input=stdin, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"FAIL: kubectl could not parse {args or 'the rendered YAML'}: "
                         f"{out.stderr.strip()}")
    decoder, text, objects, at = json.JSONDecoder(), out.stdout, [], 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            break
        obj, at = decoder.raw_decode(text, at)
        objects.extend(obj["items"] if obj.get("kind") == "List" else [obj])
    return objects


def kustomize(path):
    out = subprocess.run(["kubectl", "kustomize", path], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"FAIL: kubectl kustomize {path}: {out.stderr.strip()}")
    return kubectl_json(["-f", "-"], stdin=out.stdout)


# --- the contract --------------------------------------------------------------------------

def spec_exit_codes(spec_path):
    """{code: meaning} from the table of SPEC §7."""
    with open(spec_path, encoding="utf-8") as f:
        text = f.read()
    section = re.search(r"^## 7\. Exit codes\s*$(.*?)(?=^## )", text, re.M | re.S)
    if not section:
        raise SystemExit(f"FAIL: no '## 7. Exit codes' section in {spec_path}")
    codes = {}
    for line in section.group(1).splitlines():
        row = re.match(r"^\|\s*([0-9][0-9 /]*?)\s*\|\s*(.*?)\s*\|\s*$", line)
        if row:
            for code in row.group(1).split("/"):
                codes[int(code)] = row.group(2)
    if not codes:
        raise SystemExit(f"FAIL: no exit-code rows in SPEC §7 of {spec_path}")
    return codes


def stop_grace_seconds(repo):
    """datamig's grace for an exec migration after SIGTERM (default_stop_grace), else 20 s."""
    try:
        with open(os.path.join(repo, "include/datamig/exec.hpp"), encoding="utf-8") as f:
            found = re.search(r"default_stop_grace\{([0-9']+)\}", f.read())
        if found:
            return int(found.group(1).replace("'", "")) / 1000
    except OSError:
        pass
    print("note: default_stop_grace not found in include/datamig/exec.hpp; assuming 20 s")
    return 20


class Binary:
    """The flags and commands the real binary accepts, read from its --help."""

    def __init__(self, path):
        self.path = path
        self.global_help = self._help([])
        self.flags = {}
        self.commands = {}

    def _help(self, command):
        out = subprocess.run([self.path, *command, "--help"], capture_output=True, text=True)
        return out.stdout + out.stderr

    def has_command(self, command):
        # An unknown command makes CLI11 print the top-level help, so look for its own usage line.
        if command not in self.commands:
            self.commands[command] = bool(
                re.search(rf"^Usage: \S+ {re.escape(command)}\b", self._help([command]), re.M))
        return self.commands[command]

    def flags_of(self, command):
        if command not in self.flags:
            text = self.global_help + (self._help([command]) if command else "")
            self.flags[command] = set(re.findall(r"(?:^|[\s,])(--[a-z][a-z0-9-]*)", text))
        return self.flags[command]


def split_command(args, binary):
    """(global args before the command, the command, the args after it). The command is the first
    argument that is neither a flag nor a flag's value (`--jobs 4`) and that the binary knows."""
    for i, arg in enumerate(args):
        if not arg.startswith("-") and re.fullmatch(r"[a-z]+", arg) and binary.has_command(arg):
            return args[:i], arg, args[i + 1:]
    return args, None, []


def flags_in(args):
    return [re.match(r"--[a-z][a-z0-9-]*", a).group(0) for a in args if a.startswith("--")]


def flag_value(args, flag):
    for i, arg in enumerate(args):
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
    return None


def seconds(duration):
    """A datamig duration (200ms, 2s, 10m, 1h, bare seconds) in seconds."""
    found = re.fullmatch(r"([0-9.]+)(ms|s|m|h)?", duration or "")
    if not found:
        return None
    unit = {"ms": 0.001, "s": 1, None: 1, "m": 60, "h": 3600}[found.group(2)]
    return float(found.group(1)) * unit


# --- one Job or CronJob --------------------------------------------------------------------

def check_workload(obj, where, binary, spec_codes, grace, image=None, siblings=()):
    kind, name = obj["kind"], obj["metadata"]["name"]
    at = f"{where}: {kind} {name}"
    annotations = obj["metadata"].get("annotations", {})
    if kind == "CronJob":
        cron = obj["spec"]
        check(cron.get("concurrencyPolicy") == "Forbid", f"{at}: concurrencyPolicy is not Forbid")
        check(cron.get("suspend") is not True, f"{at}: suspend is true")
        check("argocd.argoproj.io/hook" not in annotations, f"{at}: a CronJob must not be a hook")
        job = cron["jobTemplate"]["spec"]
        phase = "post_sync"
    else:
        job = obj["spec"]
        hook = annotations.get("argocd.argoproj.io/hook")
        if not check(hook in HOOK_PHASES, f"{at}: argocd.argoproj.io/hook is {hook!r}, "
                                          f"not one of {sorted(HOOK_PHASES)}"):
            return
        check(annotations.get("argocd.argoproj.io/hook-delete-policy") == DELETE_POLICY,
              f"{at}: hook-delete-policy is not {DELETE_POLICY} (a failed Job's log must stay)")
        phase = HOOK_PHASES[hook]

    pod = job["template"]["spec"]
    fleet = job.get("completionMode") == "Indexed"
    # A fleet's retries are counted per shard (backoffLimitPerIndex), any other Job's in total.
    limit = "backoffLimitPerIndex" if fleet else "backoffLimit"
    check(isinstance(job.get(limit), int) and job[limit] >= 0, f"{at}: {limit} missing or not an integer")
    deadline = job.get("activeDeadlineSeconds")
    check(isinstance(deadline, int) and deadline > 0, f"{at}: activeDeadlineSeconds missing")
    check(pod.get("restartPolicy") == "Never", f"{at}: restartPolicy must be Never "
                                               "(podFailurePolicy requires it)")
    tgps = pod.get("terminationGracePeriodSeconds")
    check(isinstance(tgps, int) and tgps > grace,
          f"{at}: terminationGracePeriodSeconds {tgps} is not above datamig's {grace:g} s grace "
          "for exec migrations")
    check(pod.get("securityContext", {}).get("runAsNonRoot") is True, f"{at}: runAsNonRoot")

    containers = [c for c in pod["containers"] if c["name"] == CONTAINER_NAME]
    if not check(len(containers) == 1, f"{at}: no container named {CONTAINER_NAME}"):
        return
    container = containers[0]
    if image:
        check(container.get("image") == image, f"{at}: image is {container.get('image')}, "
                                                f"not {image} (images: override)")
    security = container.get("securityContext", {})
    check(security.get("readOnlyRootFilesystem") is True, f"{at}: readOnlyRootFilesystem")
    check(security.get("allowPrivilegeEscalation") is False, f"{at}: allowPrivilegeEscalation")

    # The database URL comes from a Secret, never from the manifest (a fleet's URLs are in its
    # targets file, their passwords from a Secret: check_fleet).
    env = {e["name"]: e for e in container.get("env", [])}
    check("value" not in env.get(SECRET_ENV, {}), f"{at}: {SECRET_ENV} has a literal value")
    if not fleet:
        ref = env.get(SECRET_ENV, {}).get("valueFrom", {}).get("secretKeyRef", {})
        check(ref.get("name") and ref.get("key"), f"{at}: {SECRET_ENV} is not set from a secretKeyRef")

    # The summary goes where Kubernetes reads the termination message.
    args = container.get("args", [])
    message_path = container.get("terminationMessagePath")
    check(message_path == "/dev/termination-log", f"{at}: terminationMessagePath is "
                                                  f"{message_path!r}, not /dev/termination-log")
    summary = flag_value(args, "--summary-file") or \
        env.get("DATAMIG_SUMMARY_FILE", {}).get("value")
    check(summary == message_path, f"{at}: --summary-file is {summary!r}, "
                                   f"not the terminationMessagePath {message_path!r}")
    check(container.get("terminationMessagePolicy") == "FallbackToLogsOnError",
          f"{at}: terminationMessagePolicy is not FallbackToLogsOnError")
    check("--database-url" not in flags_in(args), f"{at}: --database-url in args")

    # What runs: migrate, in the phase of the hook; a time budget only after the sync. Global
    # flags may stand before the command (the fleet Job's --targets, --shard, --jobs).
    before, command, _ = split_command(args, binary)
    check(command == "migrate", f"{at}: the command in args is {command!r}, not migrate")
    check(flag_value(args, "--phase") == phase, f"{at}: --phase is "
                                                f"{flag_value(args, '--phase')!r}, not {phase}")
    budget = seconds(flag_value(args, "--time-budget"))
    if phase == "pre_sync":
        check(budget is None, f"{at}: pre_sync must not have --time-budget (exit 0 with partial "
                              "work would start the new version on half-done data)")
    else:
        check(budget is not None, f"{at}: post_sync needs --time-budget")
        lock_wait = seconds(flag_value(args, "--lock-wait") or "60s")
        if budget is not None and isinstance(deadline, int):
            check(deadline > budget + lock_wait, f"{at}: activeDeadlineSeconds {deadline} is "
                  f"not above --lock-wait + --time-budget ({lock_wait + budget:g} s)")
        if kind == "CronJob" and budget is not None:
            every = re.fullmatch(r"\*/([0-9]+) \* \* \* \*", obj["spec"].get("schedule", ""))
            if every:
                check(budget < int(every.group(1)) * 60, f"{at}: --time-budget is not below "
                                                         "the schedule's interval")

    # Every flag is one the binary has: global flags before the command, global flags or the
    # command's own after it.
    for flag in flags_in(before):
        if not check(flag in binary.flags_of(None),
                     f"{at}: flag {flag} before the command is not a global flag (`datamig --help`)"):
            missing_flags.add(f"datamig {flag}")
    if command and check(binary.has_command(command),
                         f"{at}: `{command}` is not a command of {binary.path}"):
        for flag in flags_in(args):
            if not check(flag in binary.flags_of(command),
                         f"{at}: flag {flag} is not a flag of `datamig {command}` "
                         f"(not in `datamig --help` nor `datamig {command} --help`)"):
                missing_flags.add(f"datamig {command} {flag}")

    if fleet:
        check_fleet(obj, job, container, args, at, siblings)
    check_failure_policy(job, at, spec_codes, FLEET_ACTIONS if fleet else INTENDED_ACTIONS)


# --- the fleet Job (many databases) --------------------------------------------------------

def check_fleet(obj, job, container, args, at, siblings):
    """An Indexed Job with one shard per index, its targets file from a ConfigMap hook that is
    created before it, and every password that file names from a Secret."""
    completions, parallelism = job.get("completions"), job.get("parallelism")
    check(isinstance(completions, int) and completions > 0, f"{at}: completions missing")
    check(parallelism == completions, f"{at}: parallelism {parallelism} is not completions "
                                      f"{completions} (every shard at once)")
    shard = flag_value(args, "--shard")
    check(shard == f"$(JOB_COMPLETION_INDEX)/{completions}",
          f"{at}: --shard is {shard!r}, not $(JOB_COMPLETION_INDEX)/{completions}")
    jobs = flag_value(args, "--jobs")
    check(jobs is not None and re.fullmatch(r"[1-9][0-9]*", jobs), f"{at}: --jobs missing or not N > 0")
    check(container.get("resources", {}).get("limits", {}).get("memory"),
          f"{at}: no memory limit (--jobs connections share one pod)")

    # The targets file: a key of a ConfigMap mounted read-only where --targets points.
    path = flag_value(args, "--targets")
    if not check(path and path.startswith("/"), f"{at}: --targets is {path!r}, not an absolute path"):
        return
    folder, file = os.path.split(path)
    mounts = [m for m in container.get("volumeMounts", []) if m.get("mountPath") == folder]
    if not check(len(mounts) == 1, f"{at}: no volumeMount at {folder} for --targets"):
        return
    check(mounts[0].get("readOnly") is True, f"{at}: the targets volume is not mounted readOnly")
    volumes = {v["name"]: v for v in job["template"]["spec"].get("volumes", [])}
    config_map = volumes.get(mounts[0]["name"], {}).get("configMap", {}).get("name")
    if not check(config_map, f"{at}: the volume at {folder} is not a ConfigMap"):
        return
    found = [o for o in siblings if o["kind"] == "ConfigMap" and o["metadata"]["name"] == config_map]
    if not check(len(found) == 1, f"{at}: ConfigMap {config_map} is not in the same manifest"):
        return
    holder = found[0]
    text = holder.get("data", {}).get(file)
    if not check(text is not None, f"{at}: ConfigMap {config_map} has no key {file}"):
        return

    # Argo CD creates it before the Job: a hook of the same phase in an earlier wave.
    mine, theirs = obj["metadata"].get("annotations", {}), holder["metadata"].get("annotations", {})
    check(theirs.get("argocd.argoproj.io/hook") == mine.get("argocd.argoproj.io/hook"),
          f"{at}: ConfigMap {config_map} is not a hook of the Job's phase")
    check(theirs.get("argocd.argoproj.io/hook-delete-policy") == DELETE_POLICY,
          f"{at}: ConfigMap {config_map}: hook-delete-policy is not {DELETE_POLICY}")
    def wave(annotations):
        return int(annotations.get("argocd.argoproj.io/sync-wave", "0"))
    check(wave(theirs) < wave(mine), f"{at}: ConfigMap {config_map} is not in an earlier sync-wave")

    # Each target: `NAME URL` or a URL; every ${VAR} an env from a Secret; no password in clear.
    env = {e["name"]: e for e in container.get("env", [])}
    names = set()
    lines = [line.strip() for line in text.splitlines()]
    targets = [line for line in lines if line and not line.startswith("#")]
    check(targets, f"{at}: {config_map}/{file} lists no target")
    for line in targets:
        parts = line.split(None, 1)
        name, url = (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])
        check(re.match(r"(postgres|postgresql|sqlite)(:|://)", url), f"{at}: {file}: {url!r} is not a database URL")
        check(name not in names or name is None, f"{at}: {file}: target name {name} used twice")
        names.add(name)
        password = re.match(r"[a-z]+://[^/@:]*:([^@]*)@", url)
        check(not password or re.fullmatch(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}", password.group(1)),
              f"{at}: {file}: the password of {name or url} is not a ${{VAR}}")
        for variable in re.findall(r"\$\{([^}]*)\}", url):
            ref = env.get(variable, {}).get("valueFrom", {}).get("secretKeyRef", {})
            check(ref.get("name") and ref.get("key"),
                  f"{at}: {file} uses ${{{variable}}}, which is not an env set from a secretKeyRef")


def check_failure_policy(job, at, spec_codes, intended_actions):
    rules = job.get("podFailurePolicy", {}).get("rules", [])
    if not check(rules, f"{at}: no podFailurePolicy"):
        return
    first = rules[0]
    check(first.get("action") == "Ignore" and
          [c.get("type") for c in first.get("onPodConditions", [])] == ["DisruptionTarget"],
          f"{at}: the first podFailurePolicy rule must Ignore the DisruptionTarget condition")
    actions = {}
    for rule in rules:
        codes = rule.get("onExitCodes")
        if not codes:
            continue
        values = codes.get("values", [])
        check(codes.get("containerName") == CONTAINER_NAME,
              f"{at}: onExitCodes.containerName is not {CONTAINER_NAME}")
        check(codes.get("operator") == "In", f"{at}: onExitCodes operator is not In")
        # What the API server would refuse: unsorted or repeated values, 0 with In.
        check(values == sorted(set(values)) and 0 not in values and values,
              f"{at}: exit codes {values} must be non-empty, ascending, unique, without 0")
        for code in values:
            check(code not in actions, f"{at}: exit code {code} is in two rules")
            actions[code] = rule.get("action")
    defined = set(spec_codes) - {0}
    check(set(actions) == defined,
          f"{at}: podFailurePolicy maps exit codes {sorted(actions)}, SPEC §7 defines "
          f"{sorted(defined)} (missing {sorted(defined - set(actions))}, "
          f"extra {sorted(set(actions) - defined)})")
    if "FailIndex" in actions.values():
        check(job.get("completionMode") == "Indexed" and isinstance(job.get("backoffLimitPerIndex"), int),
              f"{at}: FailIndex needs an Indexed Job with backoffLimitPerIndex")
    for code in sorted(defined):
        intended = intended_actions.get(code)
        if not check(intended, f"SPEC §7 defines exit code {code} ({spec_codes[code]}) but "
                               "the test has no intended action for it: decide and add it"):
            continue
        check(actions.get(code) == intended,
              f"{at}: exit code {code} ({spec_codes[code]}) is {actions.get(code)}, "
              f"not {intended}")
        meaning = spec_codes[code].lower()
        if "retry" in meaning:
            check(actions.get(code) == "Count", f"{at}: SPEC calls exit {code} safe to retry, "
                                                f"but the policy says {actions.get(code)}")


# --- GitHub Actions ------------------------------------------------------------------------

def check_github_actions(repo, binary):
    for name in ("action.yml", "datamig-check.yml"):
        path = f"deploy/github-actions/{name}"
        if not check(os.path.isfile(os.path.join(repo, path)), f"{path} is missing"):
            continue
        with open(os.path.join(repo, path), encoding="utf-8") as f:
            text = f.read()
        try:
            import yaml  # PyYAML, when the machine has it
            yaml.safe_load(text)
        except ImportError:
            pass
        except Exception as error:  # noqa: BLE001 - any parse error fails the check
            check(False, f"{path}: not valid YAML: {error}")
        lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
        # The datamig command lines (`check --...`, the rehearsal's `migrate --...`), and the
        # flags the workflow passes to the action: (command, flag) pairs.
        flags = []
        for line in lines:
            command = re.search(r"\b(check|migrate)\s+--", line)
            if command:
                after = line[command.end() - 2:]
                flags += [(command.group(1), f) for f in re.findall(r"(--[a-z][a-z0-9-]*)", after)]
            elif "flags+=(" in line:
                after = line.split("flags+=", 1)[1]
                flags += [("check", f) for f in re.findall(r"(--[a-z][a-z0-9-]*)", after)]
            args = re.match(r"\s*args:\s*([^#]*)", line)
            if args:
                flags += [("check", f) for f in re.findall(r"(--[a-z][a-z0-9-]*)", args.group(1))]
        if name == "action.yml":
            check(re.search(r"\bcheck --format github\b", text),
                  f"{path}: no `datamig check --format github` line")
        else:
            check_rehearsal_job(path, "\n".join(lines))
        for command, flag in flags:
            if not check(flag in binary.flags_of(command),
                         f"{path}: flag {flag} is not a flag of `datamig {command}`"):
                missing_flags.add(f"datamig {command} {flag}")


def check_rehearsal_job(path, text):
    """The optional job that rehearses against a restored snapshot (SPEC §4, migrate --rehearse):
    a PostgreSQL service container, the dump restored into it, then the rehearsal as JSON."""
    job = re.search(r"^  rehearse:\n((?:    .*\n|\n)+)", text + "\n", re.MULTILINE)
    if not check(job, f"{path}: no `rehearse` job"):
        return
    body = job.group(1)
    check(re.search(r"^    if:", body, re.MULTILINE), f"{path}: the rehearse job is not optional (no `if:`)")
    check(re.search(r"^    services:\n\s+postgres:\n\s+image: postgres:", body, re.MULTILINE),
          f"{path}: the rehearse job has no PostgreSQL service container")
    restore = body.find("pg_restore")
    rehearse = body.find("migrate --rehearse --format json")
    check(restore >= 0, f"{path}: the rehearse job restores no snapshot (pg_restore)")
    check(rehearse > restore, f"{path}: the rehearse job runs no `migrate --rehearse --format json` "
                              "after restoring the snapshot")
    # A pipe (to tee) must not hide the rehearsal's exit code.
    check("shell: bash" in body, f"{path}: the rehearse job's steps need `shell: bash` (pipefail)")


def workloads(objects):
    return [o for o in objects if o["kind"] in ("Job", "CronJob")]


# --- main ----------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", required=True)
    parser.add_argument("--spec", required=True)
    parser.add_argument("--binary", required=True)
    options = parser.parse_args()
    repo = options.repo
    spec_codes = spec_exit_codes(options.spec)
    grace = stop_grace_seconds(repo)
    binary = Binary(options.binary)
    print(f"SPEC §7 exit codes: {sorted(spec_codes)}; exec grace {grace:g} s")

    overlays = os.path.join(repo, "deploy/kustomize/overlays")
    plain = {"pre_sync": "presync-job.yaml", "post_sync": "postsync-job.yaml",
             "cronjob": "cronjob.yaml", "fleet": "fleet-job.yaml"}
    kinds_of = {"cronjob": ["CronJob"], "fleet": ["ConfigMap", "Job"]}
    check(sorted(os.listdir(overlays)) == sorted(plain),
          f"overlays are {sorted(os.listdir(overlays))}, expected {sorted(plain)}")
    for overlay, manifest in plain.items():
        where = f"overlays/{overlay}"
        rendered = kustomize(os.path.join(overlays, overlay))
        kinds = [o["kind"] for o in rendered]
        expected = kinds_of.get(overlay, ["Job"])
        check(kinds == expected, f"{where}: renders {kinds}, expected {expected}")
        for obj in workloads(rendered):
            check_workload(obj, where, binary, spec_codes, grace,
                           image="ghcr.io/example/datamig:1.0.0", siblings=rendered)
        # The plain manifest is the same objects as the overlay renders (comments aside).
        path = os.path.join(repo, "deploy/argocd", manifest)
        objects = kubectl_json(["-f", path])
        for obj in workloads(objects):
            check_workload(obj, f"argocd/{manifest}", binary, spec_codes, grace, siblings=objects)
        check(objects == rendered, f"deploy/argocd/{manifest} differs from {where} rendered "
                                   f"(diff: kubectl kustomize deploy/kustomize/{where})")
    check(sorted(f for f in os.listdir(os.path.join(repo, "deploy/argocd"))
                 if f.endswith((".yaml", ".yml"))) == sorted(plain.values()),
          "deploy/argocd holds other manifests than the ones checked here")

    # All three together, as an application's kustomization uses them.
    together = kustomize(os.path.join(repo, "tests/deploy/all-overlays"))
    check(sorted((o["kind"], o["metadata"]["name"]) for o in together) ==
          [("CronJob", "datamig-post-sync-resume"), ("Job", "datamig-post-sync"),
           ("Job", "datamig-pre-sync")], "all overlays together: unexpected resources")
    for obj in together:
        check_workload(obj, "tests/deploy/all-overlays", binary, spec_codes, grace,
                       image="registry.example.com/shop/migrations:2026.11.22")

    # The fleet overlay as an application uses it: its own targets file, image and shard count.
    fleet = kustomize(os.path.join(repo, "tests/deploy/fleet-app"))
    check([o["kind"] for o in fleet] == ["ConfigMap", "Job"], "fleet-app: unexpected resources")
    for obj in workloads(fleet):
        check(obj["spec"].get("completions") == 6, "fleet-app: the patch to 6 shards did not apply")
        check_workload(obj, "tests/deploy/fleet-app", binary, spec_codes, grace,
                       image="registry.example.com/shop/migrations:2026.11.22", siblings=fleet)

    check_github_actions(repo, binary)

    if missing_flags:
        print(f"flags the kit uses that {binary.path} lacks: {', '.join(sorted(missing_flags))}")
    print(f"{results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
