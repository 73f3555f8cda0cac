"""Where a process sits in a cluster: `ClusterConfig` from the flags or `TF_CONFIG`.

TensorFlow-free (the flags and `--help` need no TensorFlow); `cluster.py` re-exports it
with the servers and the placement.
"""

import dataclasses
import json
from typing import Optional, Sequence, Tuple, Union

from models.resnet_mnist.settings import setting

JOBS = ("ps", "worker")
PS_TIMEOUT_SECS = 3600.0
# How long a task waits for a ps or the chief that does not answer (--cluster_timeout_secs).
CLUSTER_TIMEOUT_SECS = 30.0


@dataclasses.dataclass(frozen=True)
class ClusterConfig:
    """Where this process sits in the cluster; `job_name == ''` is a local run."""

    job_name: str = setting("", "Distributed: ps or worker; empty: local (or TF_CONFIG).")
    task_index: int = setting(0, "Distributed: index within --job_name; worker 0 is the "
                              "chief.", lower=0)
    ps_hosts: Tuple[str, ...] = setting((), "Distributed: host:port of the ps tasks.")
    worker_hosts: Tuple[str, ...] = setting((), "Distributed: host:port of the workers.")

    @property
    def is_distributed(self) -> bool:
        return bool(self.job_name)

    @property
    def is_chief(self) -> bool:
        """Worker 0, or the only process of a local run."""
        return not self.is_distributed or (self.job_name == "worker" and self.task_index == 0)

    @property
    def num_workers(self) -> int:
        return len(self.worker_hosts)

    @property
    def num_ps(self) -> int:
        return len(self.ps_hosts)

    @property
    def worker_device(self) -> str:
        """This worker's device prefix ('' in a local run)."""
        return f"/job:worker/task:{self.task_index}" if self.is_distributed else ""

    @property
    def name(self) -> str:
        """'worker 1', 'ps 0' (as messages name this task)."""
        return f"{self.job_name} {self.task_index}"

    @property
    def address(self) -> str:
        """This task's host:port."""
        return getattr(self, f"{self.job_name}_hosts")[self.task_index]

    def cluster_spec(self):
        """The `tf.train.ClusterSpec` of the cluster (imports TensorFlow)."""
        import tensorflow as tf  # pylint: disable=import-outside-toplevel
        return tf.train.ClusterSpec({"ps": list(self.ps_hosts), "worker": list(self.worker_hosts)})

    def hosts_flags(self) -> str:
        """The cluster as the flags that give it: '--ps_hosts=... --worker_hosts=...'."""
        return f"--ps_hosts={','.join(self.ps_hosts)} --worker_hosts={','.join(self.worker_hosts)}"

    def validate(self) -> "ClusterConfig":
        """Returns self if consistent; else ValueError, one line naming the flag at fault."""
        if self.job_name not in ("",) + JOBS:
            raise ValueError(f"--job_name must be ps or worker, got {self.job_name!r}")
        for flag in ("ps_hosts", "worker_hosts"):
            if getattr(self, flag) and not self.is_distributed:
                raise ValueError(f"--{flag} needs --job_name=ps or --job_name=worker")
        if not self.is_distributed:
            return self
        if isinstance(self.task_index, bool) or not isinstance(self.task_index, int):
            raise ValueError(f"--task_index must be an integer, got {self.task_index!r}")
        if self.task_index < 0:
            raise ValueError(f"--task_index must be >= 0, got {self.task_index}")
        seen = {}
        for flag in ("ps_hosts", "worker_hosts"):
            if not getattr(self, flag):
                raise ValueError(f"--{flag} is required with --job_name={self.job_name}")
            for value in getattr(self, flag):
                host, colon, port = value.rpartition(":")
                if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
                    raise ValueError(f"--{flag} entry {value!r} is not host:port (port 1-65535)")
                if value in seen:
                    where = "twice" if seen[value] == flag else f"and in --{seen[value]}"
                    raise ValueError(f"--{flag} lists {value} {where}")
                seen[value] = flag
        count = len(getattr(self, f"{self.job_name}_hosts"))
        if self.task_index >= count:
            raise ValueError(f"--task_index {self.task_index} is out of range for {count} "
                             f"--{self.job_name}_hosts")
        return self


def _hosts(value: Union[None, str, Sequence[str]]) -> Tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value or ()
    return tuple(item.strip() for item in items if item.strip())


def from_values(job_name: Optional[str], task_index: int,
                ps_hosts: Union[None, str, Sequence[str]],
                worker_hosts: Union[None, str, Sequence[str]],
                tf_config_env: Optional[str] = None) -> ClusterConfig:
    """The validated cluster of this process, from flag values or `TF_CONFIG`.

    The flags win: `TF_CONFIG` is read only when none of `job_name`, `ps_hosts`
    and `worker_hosts` is set. No cluster anywhere is a local run.

    Args:
      job_name: --job_name ('' or None: not set).
      task_index: --task_index.
      ps_hosts: --ps_hosts / worker_hosts: --worker_hosts, as lists or
        comma-separated strings of host:port.
      tf_config_env: The `TF_CONFIG` environment variable, e.g.
        `{"cluster": {"ps": [...], "worker": [...]}, "task": {"type": "worker", "index": 1}}`.

    Raises:
      ValueError: One line: bad flags, or a bad `TF_CONFIG` (prefixed "TF_CONFIG: ").
    """
    ps, workers = _hosts(ps_hosts), _hosts(worker_hosts)
    if job_name or ps or workers or not (tf_config_env or "").strip():
        return ClusterConfig(job_name or "", task_index, ps, workers).validate()
    try:
        return _from_tf_config(tf_config_env).validate()
    except ValueError as error:
        raise ValueError(f"TF_CONFIG: {error}") from None


def _from_tf_config(text: str) -> ClusterConfig:
    try:
        values = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON: {error}") from None
    if not isinstance(values, dict):
        raise ValueError(f"must be a JSON object, got {type(values).__name__}")
    cluster = values.get("cluster") or {}
    if not isinstance(cluster, dict):
        raise ValueError("'cluster' must be an object of job name -> list of host:port")
    if not cluster:
        return ClusterConfig()
    for job, hosts in sorted(cluster.items()):
        if job not in JOBS:
            raise ValueError(f"cluster job {job!r} is not supported: use 'ps' and 'worker' "
                             "(worker 0 is the chief)")
        if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
            raise ValueError(f"cluster.{job} must be a list of host:port strings")
    task = values.get("task")
    if not isinstance(task, dict) or "type" not in task:
        raise ValueError("has a 'cluster' but no 'task': {\"type\": \"worker\", \"index\": 0}")
    index = task.get("index", 0)
    if isinstance(index, bool) or not isinstance(index, int):
        raise ValueError(f"task.index must be an integer, got {index!r}")
    return ClusterConfig(str(task["type"]), index, tuple(cluster.get("ps", ())),
                         tuple(cluster.get("worker", ())))
