"""The manifest checks catch what they are meant to: each test breaks one invariant in a copy of
the rendered manifests and expects exactly that violation; the unbroken renders pass.

    cd tests/deploy && /usr/bin/python3 -m unittest -v test_manifest_checks
"""

import copy
import os
import unittest

import manifest_checks as checks

SOURCE_DIR = os.environ.get("EXOSPHERE_SOURCE_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")
DEPLOY_DIR = os.path.join(SOURCE_DIR, "deploy")


def find(documents, kind, name=None):
    for document in documents:
        if document.get("kind") == kind and (
                name is None or document.get("metadata", {}).get("name") == name):
            return document
    raise LookupError("{}/{} not rendered".format(kind, name))


class Rendered(unittest.TestCase):
    """The rendered overlays and helpers to break them; no tests of its own."""

    rendered = {}
    version = None

    @classmethod
    def setUpClass(cls):
        kubectl = checks.find_kubectl()  # raises with the reason when kubectl is missing
        cls.version = checks.project_version(os.path.join(SOURCE_DIR, "CMakeLists.txt"))
        for overlay in ("base", "overlays/dev", "overlays/hpa", "overlays/keda"):
            cls.rendered[overlay] = checks.render(kubectl, os.path.join(DEPLOY_DIR, overlay))

    def documents(self, overlay="base"):
        return copy.deepcopy(self.rendered[overlay])

    @staticmethod
    def pod(documents, name="exosphere-worker"):
        return find(documents, "Deployment", name)["spec"]["template"]["spec"]

    def sidecar(self, documents):
        return next(c for c in self.pod(documents)["initContainers"] if checks.is_sidecar(c))

    def worker(self, documents):
        return next(c for c in self.pod(documents)["containers"] if c["name"] == "worker")

    def assertViolation(self, documents, fragment):
        problems = checks.check(documents, self.version)
        self.assertTrue(any(fragment in problem for problem in problems),
                        "expected a violation containing {!r}, got {}".format(fragment, problems))


class RenderedManifests(Rendered):
    """check(): each invariant, broken on its own, is reported."""

    def test_the_committed_manifests_pass(self):
        for overlay, documents in self.rendered.items():
            with self.subTest(overlay=overlay):
                self.assertEqual(checks.check(documents, self.version), [])

    # Native sidecar and the shared socket.
    def test_sidecar_as_regular_container(self):
        documents = self.documents()
        pod = self.pod(documents)
        sidecar = pod["initContainers"].pop(0)
        sidecar.pop("restartPolicy")
        pod["containers"].append(sidecar)
        self.assertViolation(documents, "is a regular container")

    def test_sidecar_without_restart_policy_always(self):
        documents = self.documents()
        self.sidecar(documents).pop("restartPolicy")
        self.assertViolation(documents, "not a native sidecar")

    def test_worker_without_the_socket_volume(self):
        documents = self.documents()
        self.worker(documents)["volumeMounts"] = []
        self.assertViolation(documents, "does not mount the sidecar's socket volume")

    def test_worker_pointed_at_another_socket(self):
        documents = self.documents()
        for entry in self.worker(documents)["env"]:
            if entry["name"] == "EXOSPHERE_SIDECAR_ADDRESS":
                entry["value"] = "unix:/tmp/elsewhere.sock"
        self.assertViolation(documents, "connects to unix:/tmp/elsewhere.sock")

    def test_socket_not_on_an_empty_dir(self):
        documents = self.documents()
        for volume in self.pod(documents)["volumes"]:
            if volume["name"] == "sidecar-socket":
                volume.pop("emptyDir")
                volume["hostPath"] = {"path": "/run/exosphere"}
        self.assertViolation(documents, "is not on an emptyDir")

    def test_journal_not_on_an_empty_dir(self):
        documents = self.documents()
        self.pod(documents)["volumes"] = [
            v for v in self.pod(documents)["volumes"] if v["name"] != "journal"]
        self.assertViolation(documents, "--journal-dir /var/lib/exosphere/journal is not on")

    # Probes.
    def test_readiness_on_livez(self):
        documents = self.documents()
        self.sidecar(documents)["readinessProbe"]["httpGet"]["path"] = "/livez"
        self.assertViolation(documents, "readinessProbe uses /livez, expected /readyz")

    def test_missing_startup_probe(self):
        documents = self.documents()
        self.sidecar(documents).pop("startupProbe")
        self.assertViolation(documents, "no HTTP startupProbe")

    def test_probe_on_another_port(self):
        documents = self.documents()
        self.sidecar(documents)["livenessProbe"]["httpGet"]["port"] = 8080
        self.assertViolation(documents, "livenessProbe is not on the health port 9090")

    # Hardening.
    def test_each_security_setting(self):
        cases = [
            (lambda c, p: c["securityContext"].update(readOnlyRootFilesystem=False),
             "readOnlyRootFilesystem is not true"),
            (lambda c, p: c["securityContext"].pop("allowPrivilegeEscalation"),
             "allowPrivilegeEscalation is not false"),
            (lambda c, p: c["securityContext"].pop("capabilities"),
             "capabilities do not drop ALL"),
            (lambda c, p: (c["securityContext"].pop("runAsNonRoot"),
                           p["securityContext"].pop("runAsNonRoot")),
             "runAsNonRoot is not true"),
            (lambda c, p: c["securityContext"].update(runAsUser=0), "no fixed non-zero runAsUser"),
            (lambda c, p: (c["securityContext"].pop("seccompProfile"),
                           p["securityContext"].pop("seccompProfile")),
             "seccompProfile is not RuntimeDefault"),
            (lambda c, p: c["securityContext"].update(privileged=True), "privileged"),
        ]
        for mutate, fragment in cases:
            with self.subTest(fragment=fragment):
                documents = self.documents()
                mutate(self.worker(documents), self.pod(documents))
                self.assertViolation(documents, "containers worker: " + fragment)

    def test_pod_level_settings_are_inherited(self):
        documents = self.documents()
        self.worker(documents)["securityContext"].pop("seccompProfile")
        self.worker(documents)["securityContext"].pop("runAsUser")
        self.assertEqual(checks.check(documents, self.version), [])

    def test_missing_memory_limit(self):
        documents = self.documents()
        self.sidecar(documents)["resources"]["limits"].pop("memory")
        self.assertViolation(documents, "exosphere-sidecar: no memory limit")

    def test_devserver_is_hardened_too(self):
        documents = self.documents("overlays/dev")
        devserver = self.pod(documents, "exosphere-devserver")["containers"][0]
        devserver["securityContext"]["readOnlyRootFilesystem"] = False
        self.assertViolation(documents, "Deployment/exosphere-devserver containers devserver: "
                             "readOnlyRootFilesystem")

    # Grace period against the drain timeout.
    def test_grace_shorter_than_the_drains(self):
        documents = self.documents()
        self.pod(documents)["terminationGracePeriodSeconds"] = 60
        self.assertViolation(documents, "terminationGracePeriodSeconds 60 < 70")

    def test_longer_drain_timeout_needs_a_longer_grace(self):
        documents = self.documents()
        sidecar = self.sidecar(documents)
        sidecar["args"] = [a if not a.startswith("--drain-timeout-ms") else
                           "--drain_timeout_ms=60000" for a in sidecar["args"]]
        self.assertViolation(documents, "terminationGracePeriodSeconds 75 < 130")

    def test_prestop_sleep_counts(self):
        documents = self.documents()
        self.worker(documents)["lifecycle"] = {"preStop": {"sleep": {"seconds": 10}}}
        self.assertViolation(documents, "preStop 10 s")

    def test_prestop_exec_cannot_be_bounded(self):
        documents = self.documents()
        self.worker(documents)["lifecycle"] = {"preStop": {"exec": {"command": ["sleep", "5"]}}}
        self.assertViolation(documents, "preStop hook of worker is not a sleep")

    def test_drain_timeout_must_be_explicit(self):
        documents = self.documents()
        sidecar = self.sidecar(documents)
        sidecar["args"] = [a for a in sidecar["args"] if "drain" not in a]
        self.assertViolation(documents, "no explicit --drain-timeout-ms")

    # Secrets.
    def test_api_key_in_the_environment(self):
        documents = self.documents()
        self.sidecar(documents)["env"].append({"name": "EXOSPHERE_API_KEY", "value": "k"})
        self.assertViolation(documents, "in an environment variable (EXOSPHERE_API_KEY)")
        self.assertViolation(documents, "secret-like variable EXOSPHERE_API_KEY has a plain value")

    def test_api_key_from_a_secret_ref_in_the_sidecar_environment(self):
        documents = self.documents()
        self.sidecar(documents)["env"].append({"name": "EXOSPHERE_API_KEY", "valueFrom": {
            "secretKeyRef": {"name": "exosphere-api-key", "key": "api-key"}}})
        self.assertViolation(documents, "in an environment variable (EXOSPHERE_API_KEY)")

    def test_key_like_value_under_an_innocent_name(self):
        documents = self.documents()
        self.worker(documents)["env"].append(
            {"name": "UPSTREAM", "value": "sk_live_4eC39HqLyjWDarjtT1zdp7dc"})
        self.assertViolation(documents, "variable UPSTREAM has a value that looks like a key")

    def test_secret_ref_spread_into_the_environment(self):
        documents = self.documents()
        self.worker(documents)["envFrom"] = [{"secretRef": {"name": "exosphere-api-key"}}]
        self.assertViolation(documents, "containers worker: envFrom a Secret")

    def test_secret_on_the_command_line(self):
        documents = self.documents()
        self.worker(documents)["args"].append("--api-key=abc")
        self.assertViolation(documents, "a secret on the command line: --api-key=...")

    def test_api_key_file_mounted_with_sub_path(self):
        documents = self.documents()
        for mount in self.sidecar(documents)["volumeMounts"]:
            if mount["name"] == "api-key":
                mount["mountPath"] = "/etc/exosphere/api-key/api-key"
                mount["subPath"] = "api-key"
        self.assertViolation(documents, "mounted with subPath")

    def test_api_key_file_outside_a_secret(self):
        documents = self.documents()
        for volume in self.pod(documents)["volumes"]:
            if volume["name"] == "api-key":
                volume.pop("secret")
                volume["configMap"] = {"name": "exosphere-api-key"}
        self.assertViolation(documents, "is not in a mounted Secret")

    def test_secret_in_a_config_map(self):
        documents = self.documents()
        find(documents, "ConfigMap")["data"]["api-key"] = "x"
        self.assertViolation(documents, "key api-key looks like a secret")

    # Images.
    def test_image_tags(self):
        cases = [("exosphere-sidecar:latest", "uses `latest`"),
                 ("exosphere-sidecar", "has no tag"),
                 ("registry.example.com:5000/exosphere-sidecar", "has no tag"),
                 ("exosphere-sidecar:0.0.9", "is not tagged with the project version")]
        for image, fragment in cases:
            with self.subTest(image=image):
                documents = self.documents()
                self.sidecar(documents)["image"] = image
                self.assertViolation(documents, fragment)

    def test_tag_with_digest_and_registry_passes(self):
        documents = self.documents()
        self.sidecar(documents)["image"] = (
            "registry.example.com:5000/team/exosphere-sidecar:{}@sha256:{}".format(
                self.version, "0" * 64))
        self.assertEqual(checks.check(documents, self.version), [])

    # Disruption budget, network policy, autoscalers.
    def test_missing_disruption_budget(self):
        documents = [d for d in self.documents() if d["kind"] != "PodDisruptionBudget"]
        self.assertViolation(documents, "no PodDisruptionBudget selects its pods")

    def test_missing_network_policy(self):
        documents = [d for d in self.documents() if d["kind"] != "NetworkPolicy"]
        self.assertViolation(documents, "no NetworkPolicy restricts its egress")
        self.assertViolation(documents, "no NetworkPolicy restricts its ingress")

    def test_egress_to_any_port(self):
        documents = self.documents()
        find(documents, "NetworkPolicy")["spec"]["egress"][1].pop("ports")
        self.assertViolation(documents, "egress rule allows every port")

    def test_egress_to_another_port(self):
        documents = self.documents()
        find(documents, "NetworkPolicy")["spec"]["egress"][1]["ports"].append(
            {"protocol": "TCP", "port": 443})
        self.assertViolation(documents, "egress rule allows port 443")

    def test_ingress_from_everywhere(self):
        documents = self.documents()
        find(documents, "NetworkPolicy")["spec"]["ingress"][0].pop("from")
        self.assertViolation(documents, "ingress rule allows every peer")

    def test_autoscaler_aimed_elsewhere(self):
        documents = self.documents("overlays/hpa")
        find(documents, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]["name"] = "other"
        self.assertViolation(documents, "scales Deployment/other, not the worker Deployment")

    def test_replicas_next_to_an_autoscaler(self):
        documents = self.documents("overlays/keda")
        find(documents, "Deployment", "exosphere-worker")["spec"]["replicas"] = 3
        self.assertViolation(documents, "sets replicas although an autoscaler owns them")

    def test_scaled_object_on_another_metric(self):
        documents = self.documents("overlays/keda")
        for trigger in find(documents, "ScaledObject")["spec"]["triggers"]:
            trigger["metadata"]["query"] = "sum(up)"
        self.assertViolation(documents, "no trigger on exosphere_sidecar_busy_slots")



# An excerpt of `--helpfull` as abseil prints it: only the flags and variables the committed
# manifests use (and one boolean), wrapped like the real text.
SIDECAR_HELP = """exosphere-sidecar: Runs workers of any language against the state manager.
Usage: exosphere-sidecar --state-manager-uri=URL [flags]   (API key in EXOSPHERE_API_KEY)

  Flags from work/main/sidecar/main.cc:
    --api_key_file (File holding the API key; re-read when it changes. Env:
      EXOSPHERE_API_KEY_FILE.); default: "";
    --drain_timeout_ms (On SIGTERM/SIGINT: how long tasks in flight may take.
      Env: EXOSPHERE_DRAIN_TIMEOUT_MS.); default: 30000;
    --health_listen (host:port serving GET /livez, /readyz and /metrics. Env:
      EXOSPHERE_HEALTH_LISTEN.); default: "";
    --journal_dir (Directory for the crash-recovery journal. Env:
      EXOSPHERE_JOURNAL_DIR.); default: "";
    --listen (Where workers connect. Env: EXOSPHERE_SIDECAR_LISTEN.);
      default: "unix:/tmp/exosphere-sidecar.sock";
    --log_format (text or json. Env: EXOSPHERE_LOG_FORMAT.); default: "text";
    --ready_requires_worker (/readyz also requires a connected worker.);
      default: true;
    --state_manager_uri (Base URL of the state manager. Env:
      EXOSPHERE_STATE_MANAGER_URI.); default: "";
"""
DEVSERVER_HELP = """
    --db (SQLite file for persistence.); default: "";
    --listen (Address to serve on, HOST:PORT.); default: "127.0.0.1:8000";
    --log_format (Log format on stderr: text or json.); default: "text";
"""


class ProgramFlags(Rendered):
    """check_program_flags: what the manifests give our programs exists in their --helpfull."""

    interfaces = {"exosphere-sidecar": checks.parse_help(SIDECAR_HELP),
                  "exosphere-devserver": checks.parse_help(DEVSERVER_HELP)}

    def problems(self, documents):
        return checks.check_program_flags(documents, self.interfaces)

    def test_help_is_parsed_into_flags_and_variables(self):
        known_flags, known_variables = checks.parse_help(SIDECAR_HELP)
        self.assertIn("drain-timeout-ms", known_flags)
        self.assertIn("ready-requires-worker", known_flags)
        self.assertNotIn("state-manager", known_flags)
        self.assertIn("EXOSPHERE_STATE_MANAGER_URI", known_variables)
        self.assertIn("EXOSPHERE_API_KEY", known_variables)

    def test_the_committed_manifests_use_known_flags(self):
        for overlay, documents in self.rendered.items():
            with self.subTest(overlay=overlay):
                self.assertEqual(self.problems(documents), [])

    def test_a_renamed_sidecar_flag(self):
        documents = self.documents()
        self.sidecar(documents)["args"].append("--http-threads=8")
        self.assertIn("Deployment/exosphere-worker initContainers exosphere-sidecar: "
                      "exosphere-sidecar has no flag --http-threads", self.problems(documents))

    def test_a_renamed_sidecar_variable(self):
        documents = self.documents()
        self.sidecar(documents)["env"].append({"name": "EXOSPHERE_HTTP_THREADS", "value": "8"})
        self.assertIn("Deployment/exosphere-worker initContainers exosphere-sidecar: "
                      "exosphere-sidecar reads no variable EXOSPHERE_HTTP_THREADS",
                      self.problems(documents))

    def test_a_negated_boolean_flag_is_known(self):
        documents = self.documents()
        self.sidecar(documents)["args"].append("--noready_requires_worker")
        self.assertEqual(self.problems(documents), [])

    def test_an_unknown_devserver_flag(self):
        documents = self.documents("overlays/dev")
        pod = self.pod(documents, "exosphere-devserver")
        pod["containers"][0]["args"].append("--http-connections=4")
        self.assertIn("Deployment/exosphere-devserver containers devserver: "
                      "exosphere-devserver has no flag --http-connections",
                      self.problems(documents))

    def test_programs_without_an_interface_are_not_checked(self):
        documents = self.documents()
        self.worker(documents)["args"].append("--no-such-flag")
        self.assertEqual(self.problems(documents), [])


if __name__ == "__main__":
    unittest.main()
