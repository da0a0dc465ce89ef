"""
Fraud Detection with Synthetic Data Augmentation
"""
import pandas as pd
import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.metrics import classification_report, roc_auc_score
from genesis import augment_imbalanced, QualityEvaluator

# Load data
transactions = pd.read_csv('transactions.csv')

# Split BEFORE augmentation (prevent data leakage)
train_df, test_df = train_test_split(
    transactions, test_size=0.2, random_state=42, 
    stratify=transactions['is_fraud']
)

# Augment training data only
train_augmented = augment_imbalanced(
    train_df,
    target_column='is_fraud',
    ratio=0.3,
    discrete_columns=['merchant_category']
)

print(f"Training: {len(train_augmented):,} samples ({train_augmented['is_fraud'].mean():.1%} fraud)")
print(f"Test: {len(test_df):,} samples ({test_df['is_fraud'].mean():.1%} fraud)")

# Prepare features
def prepare_features(df):
    X = df.drop('is_fraud', axis=1)
    X = pd.get_dummies(X, columns=['merchant_category'])
    return X, df['is_fraud']

X_train, y_train = prepare_features(train_augmented)
X_test, y_test = prepare_features(test_df)

# Align columns
X_train, X_test = X_train.align(X_test, join='outer', axis=1, fill_value=0)

# Train model
model = RandomForestClassifier(n_estimators=100, random_state=42)
model.fit(X_train, y_train)

# Evaluate
y_pred = model.predict(X_test)
y_prob = model.predict_proba(X_test)[:, 1]

print("\n=== Results ===")
print(classification_report(y_test, y_pred, target_names=['Legit', 'Fraud']))
print(f"ROC-AUC: {roc_auc_score(y_test, y_prob):.4f}")
