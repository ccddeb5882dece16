"""Invariants of the Kubernetes manifests in deploy/, checked on what `kubectl kustomize` renders.

check(documents, project_version) returns the violations (strings) of one rendered kustomization:
the sidecar runs as a native sidecar sharing its socket (and keeping its journal) on emptyDirs,
its probes use the health endpoints, every container is hardened, the grace period covers the
drain, no secret is in a plain environment variable (the sidecar's API key only from a mounted
Secret file), every image is pinned, every container has resources, a PodDisruptionBudget and a
NetworkPolicy cover the workers, autoscalers target the worker Deployment.

Stdlib and PyYAML (Debian: python3-yaml) only; runs on Debian's /usr/bin/python3.
"""

import math
import os
import re
import shutil
import subprocess
from urllib.parse import urlsplit

try:
    import yaml
except ImportError:  # pragma: no cover - reported by the caller
    yaml = None

SIDECAR_IMAGE = "exosphere-sidecar"
# Our images: their tags must be the project version (CMakeLists.txt), see deploy/README.md.
PROJECT_IMAGES = ("exosphere-sidecar", "exosphere-worker-cpp", "exosphere-worker-python")
# Time left after the drains for reports retried against a slow state manager and the exit.
GRACE_MARGIN_S = 10
SECRET_NAME = re.compile(r"(KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL)", re.IGNORECASE)
# Names that hold where a secret is, not the secret.
SECRET_REFERENCE_NAME = re.compile(r"_(FILE|PATH|DIR|URI|URL)$", re.IGNORECASE)
SECRET_FLAG = re.compile(
    r"^--?[a-z0-9_-]*(api[-_]?key|secret|token|password)(?![-_](file|path|dir))[a-z0-9_-]*[= ]",
    re.IGNORECASE)
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")


class RenderError(Exception):
    """kubectl is missing or `kubectl kustomize` failed."""


def find_kubectl(explicit=None):
    """The kubectl to use: `explicit`, else $EXOSPHERE_KUBECTL, else the one on PATH."""
    candidate = explicit or os.environ.get("EXOSPHERE_KUBECTL") or shutil.which("kubectl")
    if not candidate or not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
        raise RenderError(
            "kubectl not found (looked at --kubectl, $EXOSPHERE_KUBECTL and PATH): these tests "
            "render deploy/ with `kubectl kustomize`; install one (Debian package "
            "kubernetes-client, or any kubectl from 1.20 on)")
    return candidate


def render(kubectl, directory):
    """Renders one kustomization directory; returns its documents (dicts)."""
    if yaml is None:
        raise RenderError("PyYAML is missing for this interpreter (Debian package python3-yaml)")
    result = subprocess.run([kubectl, "kustomize", directory], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, check=False)
    if result.returncode != 0:
        raise RenderError("`{} kustomize {}` failed (exit {}):\n{}".format(
            kubectl, directory, result.returncode, result.stderr.strip()))
    return [document for document in yaml.safe_load_all(result.stdout) if document]


def kustomization_dirs(deploy_dir):
    """deploy/base and every overlay: each directory holding a kustomization file."""
    found = []
    for root, dirs, files in os.walk(deploy_dir):
        dirs.sort()
        if {"kustomization.yaml", "kustomization.yml", "Kustomization"} & set(files):
            found.append(root)
    return found


def project_version(cmakelists):
    with open(cmakelists, encoding="utf-8") as source:
        match = re.search(r"project\(\s*\S+\s+VERSION\s+([0-9][0-9.]*)", source.read())
    if not match:
        raise ValueError("no `project(... VERSION x.y.z` in " + cmakelists)
    return match.group(1)


# abseil's `--helpfull`: one `    --flag_name (description...` line per flag; the descriptions
# name the environment variables the programs read ("Env: EXOSPHERE_...").
HELP_FLAG = re.compile(r"^\s+--([A-Za-z0-9_]+) \(", re.MULTILINE)
HELP_VARIABLE = re.compile(r"\bEXOSPHERE_[A-Z0-9_]+\b")


def parse_help(text):
    """(flag names with dashes, EXOSPHERE_* variable names) that a `--helpfull` text documents."""
    return ({name.replace("_", "-") for name in HELP_FLAG.findall(text)},
            set(HELP_VARIABLE.findall(text)))


def program_interface(binary):
    """parse_help of `binary --helpfull` (abseil exits 1 after printing the help)."""
    result = subprocess.run([binary, "--helpfull"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    known_flags, known_variables = parse_help(result.stdout)
    if not known_flags:
        raise RenderError("`{} --helpfull` lists no flags:\n{}".format(
            binary, result.stdout[-2000:]))
    return known_flags, known_variables


# --- helpers over the rendered objects -------------------------------------------------------

def name_of(document):
    return "{}/{}".format(document.get("kind"), document.get("metadata", {}).get("name"))


def pod_spec(document):
    if document.get("kind") not in WORKLOAD_KINDS:
        return None
    spec = document.get("spec", {})
    if document.get("kind") == "Job":
        return spec.get("template", {}).get("spec")
    return spec.get("template", {}).get("spec")


def pod_labels(document):
    return document.get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {}) or {}


def all_containers(spec):
    return [("initContainers", c) for c in spec.get("initContainers", []) or []] + \
           [("containers", c) for c in spec.get("containers", []) or []]


def image_repository(image):
    """`registry:5000/team/exosphere-sidecar:0.1.0@sha256:...` -> `exosphere-sidecar`."""
    without_digest = image.split("@", 1)[0]
    last = without_digest.rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def image_tag(image):
    without_digest = image.split("@", 1)[0]
    last = without_digest.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def is_sidecar(container):
    """The sidecar: our image with its own entrypoint (the devserver uses the same image)."""
    if image_repository(container.get("image", "")) != SIDECAR_IMAGE:
        return False
    command = container.get("command") or []
    return not command or os.path.basename(command[0]) == "exosphere-sidecar"


def flags(container):
    """--name=value and `--name value` arguments, names with dashes; repeated flags: last wins."""
    values = {}
    args = list(container.get("command", [])[1:] if container.get("command") else []) + \
        list(container.get("args", []) or [])
    index = 0
    while index < len(args):
        argument = str(args[index])
        if argument.startswith("--"):
            body = argument[2:]
            if "=" in body:
                name, value = body.split("=", 1)
            elif index + 1 < len(args) and not str(args[index + 1]).startswith("--"):
                name, value = body, str(args[index + 1])
                index += 1
            else:
                name, value = body, "true"
            values[name.replace("_", "-")] = value
        index += 1
    return values


def program_of(container):
    """The program a container runs: its command, else the entrypoint of the sidecar image."""
    command = container.get("command") or []
    if command:
        return os.path.basename(str(command[0]))
    if image_repository(container.get("image", "")) == SIDECAR_IMAGE:
        return "exosphere-sidecar"
    return None


def literal_env(container):
    return {entry["name"]: entry.get("value") for entry in container.get("env", []) or []
            if "value" in entry}


def mount_for(container, path):
    """The volumeMount whose mountPath contains `path`, the deepest one."""
    best = None
    for mount in container.get("volumeMounts", []) or []:
        mount_path = mount.get("mountPath", "").rstrip("/")
        if path == mount_path or path.startswith(mount_path + "/"):
            if best is None or len(mount_path) > len(best["mountPath"].rstrip("/")):
                best = mount
    return best


def volumes_by_name(spec):
    return {volume["name"]: volume for volume in spec.get("volumes", []) or []}


def selector_matches(selector, labels):
    if not selector:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        present = expression["key"] in labels
        value = labels.get(expression["key"])
        operator = expression["operator"]
        if operator == "In" and value not in expression.get("values", []):
            return False
        if operator == "NotIn" and present and value in expression.get("values", []):
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return bool(selector.get("matchLabels") or selector.get("matchExpressions"))


def looks_like_secret_value(value):
    """A long token-like string: no spaces, not a URL or path, letters and digits mixed."""
    if not isinstance(value, str) or len(value) < 20 or any(ch.isspace() for ch in value):
        return False
    if "://" in value or value.startswith("/") or value.startswith("unix:"):
        return False
    if not re.fullmatch(r"[A-Za-z0-9+/=_.~-]+", value):
        return False
    return bool(re.search(r"[0-9]", value)) and bool(re.search(r"[A-Za-z]", value))


def effective(container, pod_security, field):
    container_security = container.get("securityContext") or {}
    if field in container_security:
        return container_security[field]
    return pod_security.get(field)


def probe_port(container, probe):
    """The port number an httpGet probe uses (named ports resolved), or None."""
    port = (probe.get("httpGet") or {}).get("port")
    if isinstance(port, str) and not port.isdigit():
        for declared in container.get("ports", []) or []:
            if declared.get("name") == port:
                return declared.get("containerPort")
        return None
    return int(port) if port is not None else None


def prestop_seconds(container):
    """How long the container's preStop hook may take: sleep seconds, 0 without a hook, None
    when it cannot be bounded from the manifest (exec, httpGet)."""
    pre_stop = ((container.get("lifecycle") or {}).get("preStop")) or {}
    if not pre_stop:
        return 0
    if "sleep" in pre_stop:
        return int(pre_stop["sleep"].get("seconds", 0))
    return None


def config_value(documents, reference):
    """The value a configMapKeyRef points to, in the rendered ConfigMaps."""
    for document in documents:
        if document.get("kind") == "ConfigMap" and \
                document.get("metadata", {}).get("name") == reference.get("name"):
            return (document.get("data") or {}).get(reference.get("key"))
    return None


# --- the checks -------------------------------------------------------------------------------

def check(documents, version):
    """Returns the violations of one rendered kustomization, one string each."""
    problems = []
    workloads = [d for d in documents if pod_spec(d) is not None]
    worker_workloads = [d for d in workloads
                        if any(is_sidecar(c) for _, c in all_containers(pod_spec(d)))]
    if not worker_workloads:
        problems.append("no workload runs exosphere-sidecar")

    for workload in workloads:
        problems += check_pod_hardening(workload)
    for workload in worker_workloads:
        problems += check_worker_pod(workload, documents)
    problems += check_env_and_config(documents, workloads)
    problems += check_images(workloads, version)
    problems += check_disruption_and_network(documents, worker_workloads)
    problems += check_autoscalers(documents, worker_workloads)
    return problems


def check_pod_hardening(workload):
    """securityContext and resources of every container of every workload."""
    problems = []
    spec = pod_spec(workload)
    pod_security = spec.get("securityContext") or {}
    for collection, container in all_containers(spec):
        where = "{} {} {}".format(name_of(workload), collection, container.get("name"))
        security = container.get("securityContext") or {}
        if effective(container, pod_security, "runAsNonRoot") is not True:
            problems.append(where + ": runAsNonRoot is not true")
        user = effective(container, pod_security, "runAsUser")
        if not isinstance(user, int) or user == 0:
            problems.append(where + ": no fixed non-zero runAsUser")
        if security.get("readOnlyRootFilesystem") is not True:
            problems.append(where + ": readOnlyRootFilesystem is not true")
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(where + ": allowPrivilegeEscalation is not false")
        if security.get("privileged") is True:
            problems.append(where + ": privileged")
        if "ALL" not in ((security.get("capabilities") or {}).get("drop") or []):
            problems.append(where + ": capabilities do not drop ALL")
        if (security.get("capabilities") or {}).get("add"):
            problems.append(where + ": adds capabilities")
        seccomp = effective(container, pod_security, "seccompProfile") or {}
        if seccomp.get("type") != "RuntimeDefault":
            problems.append(where + ": seccompProfile is not RuntimeDefault")
        resources = container.get("resources") or {}
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in (resources.get(kind) or {}):
                    problems.append("{}: no {} {}".format(where, resource, kind[:-1]))
    if spec.get("automountServiceAccountToken") is not False:
        problems.append(name_of(workload) + ": automountServiceAccountToken is not false")
    return problems


def check_worker_pod(workload, documents):
    """Native sidecar, shared socket, journal, probes, API key file, grace period."""
    problems = []
    spec = pod_spec(workload)
    volumes = volumes_by_name(spec)
    name = name_of(workload)

    for container in spec.get("containers", []) or []:
        if is_sidecar(container):
            problems.append("{}: sidecar {} is a regular container; it must be an init container "
                            "with restartPolicy Always (a native sidecar)".format(
                                name, container.get("name")))
    sidecars = [c for c in spec.get("initContainers", []) or [] if is_sidecar(c)]
    for sidecar in sidecars:
        where = "{} sidecar {}".format(name, sidecar.get("name"))
        if sidecar.get("restartPolicy") != "Always":
            problems.append(where + ": restartPolicy is not Always, so it is not a native sidecar")
        sidecar_flags = flags(sidecar)

        # The worker socket on an emptyDir every regular container mounts.
        listen = sidecar_flags.get("listen", "")
        if not listen.startswith("unix:"):
            problems.append(where + ": --listen is not a unix socket (unix:/path)")
        else:
            socket_path = listen[len("unix:"):]
            mount = mount_for(sidecar, socket_path)
            volume = volumes.get(mount["name"]) if mount else None
            if not volume or "emptyDir" not in volume:
                problems.append(where + ": the socket " + socket_path + " is not on an emptyDir")
            else:
                socket_name = socket_path[len(mount["mountPath"].rstrip("/")) + 1:]
                for worker in spec.get("containers", []) or []:
                    problems += check_worker_socket(name, worker, mount["name"], socket_name)

        journal = sidecar_flags.get("journal-dir")
        if not journal:
            problems.append(where + ": no --journal-dir")
        else:
            mount = mount_for(sidecar, journal)
            if not mount or "emptyDir" not in volumes.get(mount["name"], {}):
                problems.append(where + ": --journal-dir " + journal + " is not on an emptyDir")

        problems += check_probes(where, sidecar, sidecar_flags)
        problems += check_api_key(where, sidecar, sidecar_flags, volumes)
        problems += check_grace(name, spec, sidecar_flags)
        if "state-manager-uri" not in sidecar_flags and not any(
                entry.get("name") == "EXOSPHERE_STATE_MANAGER_URI"
                for entry in sidecar.get("env", []) or []):
            problems.append(where + ": no state manager URI (flag or EXOSPHERE_STATE_MANAGER_URI)")
    return problems


def check_worker_socket(name, worker, volume_name, socket_name):
    mounts = [m for m in worker.get("volumeMounts", []) or [] if m.get("name") == volume_name]
    where = "{} container {}".format(name, worker.get("name"))
    if not mounts:
        return [where + ": does not mount the sidecar's socket volume " + volume_name]
    expected = "unix:{}/{}".format(mounts[0]["mountPath"].rstrip("/"), socket_name)
    address = literal_env(worker).get("EXOSPHERE_SIDECAR_ADDRESS") or flags(worker).get("sidecar")
    if address and address != expected:
        return ["{}: connects to {} but the sidecar's socket is at {}".format(
            where, address, expected)]
    return []


def check_probes(where, sidecar, sidecar_flags):
    problems = []
    health = sidecar_flags.get("health-listen", "")
    if not re.fullmatch(r".*:[0-9]+", health):
        return [where + ": no --health-listen=HOST:PORT, so no health endpoints"]
    health_port = int(health.rsplit(":", 1)[1])
    expected = (("startupProbe", "/livez"), ("livenessProbe", "/livez"),
                ("readinessProbe", "/readyz"))
    for probe_name, path in expected:
        probe = sidecar.get(probe_name)
        if not probe or "httpGet" not in probe:
            problems.append("{}: no HTTP {} (expected GET {})".format(where, probe_name, path))
            continue
        if probe["httpGet"].get("path") != path:
            problems.append("{}: {} uses {}, expected {}".format(
                where, probe_name, probe["httpGet"].get("path"), path))
        if probe_port(sidecar, probe) != health_port:
            problems.append("{}: {} is not on the health port {}".format(
                where, probe_name, health_port))
    return problems


def check_api_key(where, sidecar, sidecar_flags, volumes):
    problems = []
    for entry in sidecar.get("env", []) or []:
        if entry.get("name") == "EXOSPHERE_API_KEY":
            problems.append(where + ": the API key is in an environment variable "
                            "(EXOSPHERE_API_KEY); mount it from a Secret and use --api-key-file")
    for entry in sidecar.get("envFrom", []) or []:
        if "secretRef" in entry:
            problems.append(where + ": envFrom a Secret puts its keys in environment variables")
    key_file = sidecar_flags.get("api-key-file") or literal_env(sidecar).get(
        "EXOSPHERE_API_KEY_FILE")
    if not key_file:
        return problems + [where + ": no --api-key-file"]
    mount = mount_for(sidecar, key_file)
    volume = volumes.get(mount["name"]) if mount else None
    if not volume or "secret" not in volume:
        problems.append(where + ": --api-key-file " + key_file + " is not in a mounted Secret")
    elif mount.get("subPath") or mount.get("subPathExpr"):
        problems.append(where + ": the API key Secret is mounted with subPath, so a rotated key "
                        "never reaches the file")
    return problems


def check_grace(name, spec, sidecar_flags):
    drain = sidecar_flags.get("drain-timeout-ms")
    if drain is None or not drain.isdigit():
        return [name + ": the sidecar has no explicit --drain-timeout-ms=<ms> (needed to check "
                "terminationGracePeriodSeconds)"]
    drain_s = math.ceil(int(drain) / 1000)
    pre_stop_s = 0
    for _, container in all_containers(spec):
        seconds = prestop_seconds(container)
        if seconds is None:
            return ["{}: the preStop hook of {} is not a sleep, so its duration cannot be "
                    "checked against the grace period".format(name, container.get("name"))]
        pre_stop_s += seconds
    # The worker gets SIGTERM first and may take one drain timeout to finish its tasks; the
    # sidecar's SIGTERM comes after, and its own drain takes up to another one (see
    # deploy/base/deployment.yaml).
    needed = 2 * drain_s + pre_stop_s + GRACE_MARGIN_S
    grace = spec.get("terminationGracePeriodSeconds", 30)
    if grace < needed:
        return ["{}: terminationGracePeriodSeconds {} < {} (2 x drain timeout {} s + preStop {} s "
                "+ margin {} s)".format(name, grace, needed, drain_s, pre_stop_s,
                                        GRACE_MARGIN_S)]
    return []


def check_env_and_config(documents, workloads):
    problems = []
    for workload in workloads:
        for collection, container in all_containers(pod_spec(workload)):
            where = "{} {} {}".format(name_of(workload), collection, container.get("name"))
            for entry in container.get("env", []) or []:
                env_name, value = entry.get("name", ""), entry.get("value")
                if "value" in entry and SECRET_NAME.search(env_name) and \
                        not SECRET_REFERENCE_NAME.search(env_name):
                    problems.append("{}: secret-like variable {} has a plain value".format(
                        where, env_name))
                elif looks_like_secret_value(value):
                    problems.append("{}: variable {} has a value that looks like a key".format(
                        where, env_name))
            for entry in container.get("envFrom", []) or []:
                if "secretRef" in entry:
                    problems.append(where + ": envFrom a Secret")
            arguments = (container.get("command") or [])[1:] + (container.get("args") or [])
            for argument in arguments:
                if SECRET_FLAG.match(str(argument)):
                    problems.append("{}: a secret on the command line: {}".format(
                        where, str(argument).split("=", 1)[0] + "=..."))
    for document in documents:
        if document.get("kind") != "ConfigMap":
            continue
        for key, value in (document.get("data") or {}).items():
            if (SECRET_NAME.search(key) and not SECRET_REFERENCE_NAME.search(
                    key.replace("-", "_"))) or looks_like_secret_value(value):
                problems.append("{}: key {} looks like a secret; use a Secret".format(
                    name_of(document), key))
    return problems


def check_images(workloads, version):
    problems = []
    for workload in workloads:
        for collection, container in all_containers(pod_spec(workload)):
            image = container.get("image", "")
            where = "{} {} {}".format(name_of(workload), collection, container.get("name"))
            tag = image_tag(image)
            if "@sha256:" not in image and tag is None:
                problems.append("{}: image {} has no tag".format(where, image))
            elif tag == "latest":
                problems.append("{}: image {} uses `latest`".format(where, image))
            if image_repository(image) in PROJECT_IMAGES and tag != version:
                problems.append("{}: image {} is not tagged with the project version {}".format(
                    where, image, version))
            if container.get("imagePullPolicy") == "Always":
                problems.append(where + ": imagePullPolicy Always with a pinned tag")
    return problems


def check_disruption_and_network(documents, worker_workloads):
    problems = []
    budgets = [d for d in documents if d.get("kind") == "PodDisruptionBudget"]
    policies = [d for d in documents if d.get("kind") == "NetworkPolicy"]
    for workload in worker_workloads:
        labels = pod_labels(workload)
        name = name_of(workload)
        if not any(selector_matches(b.get("spec", {}).get("selector"), labels) for b in budgets):
            problems.append(name + ": no PodDisruptionBudget selects its pods")
        selecting = [p for p in policies
                     if selector_matches(p.get("spec", {}).get("podSelector"), labels)]
        types = {t for p in selecting for t in p.get("spec", {}).get("policyTypes", [])}
        for policy_type in ("Ingress", "Egress"):
            if policy_type not in types:
                problems.append("{}: no NetworkPolicy restricts its {}".format(
                    name, policy_type.lower()))
        problems += check_network_rules(name, workload, selecting, documents)
    return problems


def check_network_rules(name, workload, policies, documents):
    """Egress only to DNS and the state manager's port; ingress only to the health port."""
    spec = pod_spec(workload)
    sidecar = next(c for _, c in all_containers(spec) if is_sidecar(c))
    sidecar_flags = flags(sidecar)
    allowed_egress = {53}
    uri = sidecar_flags.get("state-manager-uri")
    for entry in sidecar.get("env", []) or []:
        if entry.get("name") == "EXOSPHERE_STATE_MANAGER_URI":
            uri = entry.get("value") or config_value(
                documents, (entry.get("valueFrom") or {}).get("configMapKeyRef") or {})
    if uri:
        parts = urlsplit(uri)
        allowed_egress.add(parts.port or (443 if parts.scheme == "https" else 80))
    health = sidecar_flags.get("health-listen", "")
    allowed_ingress = {int(health.rsplit(":", 1)[1])} if re.fullmatch(r".*:[0-9]+", health) \
        else set()
    problems = []
    for policy in policies:
        policy_spec = policy.get("spec", {})
        for direction, peers_key, allowed in (("egress", "to", allowed_egress),
                                              ("ingress", "from", allowed_ingress)):
            for rule in policy_spec.get(direction, []) or []:
                where = "{}: {} {} rule".format(name, name_of(policy), direction)
                if not rule.get(peers_key):
                    problems.append(where + " allows every peer")
                ports = rule.get("ports") or []
                if not ports:
                    problems.append(where + " allows every port")
                for port in ports:
                    if port.get("port") not in allowed:
                        problems.append("{} allows port {} (allowed: {})".format(
                            where, port.get("port"), sorted(allowed)))
    return problems


def check_autoscalers(documents, worker_workloads):
    problems = []
    worker_names = {w.get("metadata", {}).get("name") for w in worker_workloads
                    if w.get("kind") == "Deployment"}
    scaled = set()
    for document in documents:
        kind = document.get("kind")
        if kind not in ("HorizontalPodAutoscaler", "ScaledObject"):
            continue
        target = document.get("spec", {}).get("scaleTargetRef", {})
        target_kind = target.get("kind", "Deployment" if kind == "ScaledObject" else None)
        if target_kind != "Deployment" or target.get("name") not in worker_names:
            problems.append("{}: scales {}/{}, not the worker Deployment ({})".format(
                name_of(document), target_kind, target.get("name"),
                ", ".join(sorted(worker_names))))
        else:
            scaled.add(target.get("name"))
        if kind == "ScaledObject":
            queries = [t.get("metadata", {}).get("query", "")
                       for t in document.get("spec", {}).get("triggers", [])]
            if not any("exosphere_sidecar_busy_slots" in q for q in queries):
                problems.append(name_of(document) + ": no trigger on exosphere_sidecar_busy_slots")
    for workload in worker_workloads:
        if workload.get("metadata", {}).get("name") in scaled and \
                "replicas" in workload.get("spec", {}):
            problems.append(name_of(workload) + ": sets replicas although an autoscaler owns "
                            "them (every apply would reset the count)")
    return problems


def check_program_flags(documents, interfaces):
    """Flags and EXOSPHERE_* variables given to our programs that they do not have: a renamed
    flag makes the program exit at start, a renamed variable is silently ignored. `interfaces`
    maps a program name (exosphere-sidecar, exosphere-devserver) to parse_help's pair; programs
    not in it are not checked. Separate from check() because it needs the built binaries."""
    problems = []
    for workload in (d for d in documents if pod_spec(d) is not None):
        for collection, container in all_containers(pod_spec(workload)):
            program = program_of(container)
            if program not in interfaces:
                continue
            known_flags, known_variables = interfaces[program]
            where = "{} {} {}".format(name_of(workload), collection, container.get("name"))
            for name in sorted(flags(container)):
                # abseil's negated booleans: --noready-requires-worker.
                if name not in known_flags and not (
                        name.startswith("no") and name[2:] in known_flags):
                    problems.append("{}: {} has no flag --{}".format(where, program, name))
            for entry in container.get("env", []) or []:
                variable = entry.get("name", "")
                if variable.startswith("EXOSPHERE_") and variable not in known_variables:
                    problems.append("{}: {} reads no variable {}".format(where, program, variable))
    return problems
