"""The Pipeline API: ``Pipeline([...steps...]).run()`` in Python, or the same steps from YAML.

Example::

    from genesis_spark.pipeline import Pipeline, steps
    result = Pipeline([steps.load_csv("transactions.csv"), steps.analyze(target_column="is_fraud")]).run()
"""
from genesis_spark.pipeline import steps
from genesis_spark.pipeline.context import QualityGateError, RunContext
from genesis_spark.core.engine import Engine
from genesis_spark.core.profile import Profile
from genesis_spark.pipeline.engine import PandasEngine, get_engine
from genesis_spark.pipeline.pipeline import Pipeline, PipelineResult
from genesis_spark.pipeline.yaml_config import PipelineConfigError, load_pipeline

__all__ = ["Engine", "PandasEngine", "Pipeline", "PipelineConfigError", "PipelineResult", "Profile",
           "QualityGateError", "RunContext", "get_engine", "load_pipeline", "steps"]
