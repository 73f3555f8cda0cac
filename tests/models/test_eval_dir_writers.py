"""Two writers of one eval dir (a running trainer's evaluations and the evaluator): neither
loses the other's events nor its best accuracy."""

import os
import time

import tensorflow as tf

from models.resnet_mnist import evaluation
from tests.support import events


def start_of_a_second():
    """Sleeps to just after a second starts: what follows happens within one second."""
    now = time.time()
    time.sleep(1.001 - (now - int(now)))


def test_two_recorders_in_one_second_write_two_event_files(tmp_path):
    start_of_a_second()  # TensorFlow names event files by the second and the host only
    trainer = evaluation.EvalRecorder(str(tmp_path))
    trainer.record(10, evaluation.PassResult(accuracy=0.5, loss=1.0, num_images=12))
    evaluator = evaluation.EvalRecorder(str(tmp_path))
    evaluator.record(20, evaluation.PassResult(accuracy=0.25, loss=2.0, num_images=12))
    trainer.close()
    evaluator.close()
    names = [n for n in os.listdir(tmp_path) if "tfevents" in n]
    assert len(names) == 2
    steps = sorted(step for name in names
                   for step in events.record_steps(os.path.join(tmp_path, name)))
    assert steps == [10, 20]


def test_the_best_accuracy_of_another_writer_is_never_lowered(tmp_path):
    trainer = evaluation.EvalRecorder(str(tmp_path))  # read 0.0 as the best at its start
    evaluator = evaluation.EvalRecorder(str(tmp_path))
    evaluator.record(20, evaluation.PassResult(accuracy=0.9, loss=0.3, num_images=12))
    trainer.record(30, evaluation.PassResult(accuracy=0.6, loss=0.8, num_images=12))
    trainer.close()
    evaluator.close()
    assert evaluation.read_best(str(tmp_path)) == 0.9
    assert evaluation.read_last_result(str(tmp_path)).best_accuracy == 0.9
