"""spark-submit entry point: ``spark-submit jobs/augment.py --config conf/fraud_augmentation_pipeline.yaml``.

All logic (arguments included) lives in ``genesis_spark.job``.
"""
import sys

from genesis_spark.job import main

if __name__ == "__main__":
    sys.exit(main())
