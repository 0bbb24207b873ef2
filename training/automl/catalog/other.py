"""Kernel, distance, probabilistic and neural models, and the baseline."""

from __future__ import annotations

from sklearn import discriminant_analysis as da
from sklearn import dummy, gaussian_process, naive_bayes, neighbors, neural_network, svm
from sklearn.kernel_ridge import KernelRidge

from .base import Algorithm, Context, choice, flt, integer

CLS, REG = "classification", "regression"


def _svm(classifier, regressor):
    def build(params: dict, ctx: Context):
        if ctx.task == CLS:
            return classifier(probability=True, random_state=ctx.seed, cache_size=500, **params)
        return regressor(cache_size=500, **params)

    return build


def _knn(params: dict, ctx: Context):
    cls = neighbors.KNeighborsClassifier if ctx.task == CLS else neighbors.KNeighborsRegressor
    params = dict(params)
    params["n_neighbors"] = max(1, min(params["n_neighbors"], ctx.n_rows // 2))
    return cls(n_jobs=ctx.n_jobs, **params)


def _mlp(params: dict, ctx: Context):
    params = dict(params)
    width = params.pop("width")
    layers = params.pop("layers")
    cls = neural_network.MLPClassifier if ctx.task == CLS else neural_network.MLPRegressor
    return cls(
        hidden_layer_sizes=(width,) * layers,
        early_stopping=ctx.n_rows >= 200,
        max_iter=300,
        random_state=ctx.seed,
        **params,
    )


def _gp(params: dict, ctx: Context):
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    scale = params.get("length_scale", 1.0)
    if ctx.task == CLS:
        return gaussian_process.GaussianProcessClassifier(kernel=ConstantKernel() * RBF(scale), random_state=ctx.seed)
    kernel = ConstantKernel() * RBF(scale) + WhiteKernel(params.get("noise", 0.1))
    return gaussian_process.GaussianProcessRegressor(kernel=kernel, normalize_y=True, random_state=ctx.seed)


def _fixed(cls):
    def build(params: dict, ctx: Context):
        return cls(**params)

    return build


def _baseline(params: dict, ctx: Context):
    if ctx.task == CLS:
        return dummy.DummyClassifier(strategy="prior")
    return dummy.DummyRegressor(strategy="mean")


def _shared(task: str) -> list[Algorithm]:
    word = "classifier" if task == CLS else "regressor"
    return [
        Algorithm(
            key=f"baseline_{word}",
            name="Baseline (class frequencies)" if task == CLS else "Baseline (mean)",
            task=task,
            family="baseline",
            speed="fast",
            interpretability="high",
            style="linear",
            build=_baseline,
            description="Predicts the class frequencies (or the mean) whatever the input: the score any real "
            "model must beat.",
            cost=0.05,
            prior=0.0,
        ),
        Algorithm(
            key=f"svm_rbf_{word}",
            name="Support vector machine (RBF kernel)",
            task=task,
            family="svm",
            speed="slow",
            interpretability="low",
            style="dense",
            build=_svm(svm.SVC, svm.SVR),
            description="A kernel machine with a radial basis function: flexible boundaries on small and "
            "medium data; cost grows with the square of the rows.",
            space={"C": flt(1e-2, 100.0, log=True), "gamma": choice("scale", "auto")},
            defaults={"C": 1.0, "gamma": "scale"},
            cost=5.5,
            cost_power=1.8,
            max_rows=15_000,
            prior=0.55,
        ),
        Algorithm(
            key=f"nu_svm_{word}",
            name="Nu support vector machine",
            task=task,
            family="svm",
            speed="slow",
            interpretability="low",
            style="dense",
            build=_svm(svm.NuSVC, svm.NuSVR),
            description="A kernel machine parametrised by the share of support vectors (nu) instead of C.",
            space={"nu": flt(0.05, 0.8), "gamma": choice("scale", "auto")},
            defaults={"nu": 0.5 if task == REG else 0.3, "gamma": "scale"},
            cost=7.0,
            cost_power=1.8,
            max_rows=10_000,
            prior=0.45,
        ),
        Algorithm(
            key=f"knn_{word}",
            name="k-nearest neighbours",
            task=task,
            family="neighbors",
            speed="medium",
            interpretability="medium",
            style="dense",
            build=_knn,
            description="Predicts from the k most similar rows; no training, slower predictions on big data.",
            space={
                "n_neighbors": integer(1, 100, log=True),
                "weights": choice("uniform", "distance"),
                "p": choice(1, 2),
            },
            defaults={"n_neighbors": 15, "weights": "distance", "p": 2},
            cost=1.0,
            cost_power=1.4,
            max_rows=200_000,
            weights=False,
            prior=0.45,
        ),
        Algorithm(
            key=f"mlp_{word}",
            name="Neural network (multi-layer perceptron)",
            task=task,
            family="neural_network",
            speed="medium",
            interpretability="low",
            style="dense",
            build=_mlp,
            description="A fully connected network trained with Adam and early stopping.",
            space={
                "width": integer(16, 256, log=True),
                "layers": integer(1, 3),
                "alpha": flt(1e-6, 1e-1, log=True),
                "learning_rate_init": flt(1e-4, 1e-2, log=True),
                "batch_size": choice(64, 128, 256),
            },
            defaults={"width": 64, "layers": 2, "alpha": 1e-4, "learning_rate_init": 1e-3, "batch_size": 128},
            cost=1.5,
            prior=0.5,
        ),
        Algorithm(
            key=f"gaussian_process_{word}",
            name="Gaussian process",
            task=task,
            family="gaussian_process",
            speed="slow",
            interpretability="low",
            style="dense",
            build=_gp,
            description="A Bayesian kernel model with an RBF kernel whose scale is fitted; only for small data "
            "(cubic in the rows).",
            space={"length_scale": flt(0.1, 10.0, log=True)},
            defaults={"length_scale": 1.0},
            cost=300.0,
            cost_power=2.5,
            max_rows=2_000,
            weights=False,
            prior=0.45,
        ),
    ]


def _classifiers() -> list[Algorithm]:
    t = CLS
    return [
        Algorithm(
            key="nearest_centroid",
            name="Nearest centroid",
            task=t,
            family="neighbors",
            speed="fast",
            interpretability="high",
            style="dense",
            build=_fixed(neighbors.NearestCentroid),
            description="Assigns each row to the class whose average row is closest.",
            space={"shrink_threshold": choice(None, 0.1, 0.5, 1.0)},
            cost=0.05,
            weights=False,
            prior=0.2,
        ),
        Algorithm(
            key="gaussian_nb",
            name="Gaussian naive Bayes",
            task=t,
            family="naive_bayes",
            speed="fast",
            interpretability="medium",
            style="dense",
            build=_fixed(naive_bayes.GaussianNB),
            description="Treats features as independent normal variables given the class; very fast.",
            space={"var_smoothing": flt(1e-11, 1e-2, log=True)},
            defaults={"var_smoothing": 1e-9},
            cost=0.1,
            prior=0.25,
        ),
        Algorithm(
            key="bernoulli_nb",
            name="Bernoulli naive Bayes",
            task=t,
            family="naive_bayes",
            speed="fast",
            interpretability="medium",
            style="dense",
            build=_fixed(naive_bayes.BernoulliNB),
            description="Naive Bayes on binarised features (above or below average).",
            space={"alpha": flt(1e-3, 10.0, log=True)},
            defaults={"alpha": 1.0, "binarize": 0.0},
            cost=0.1,
            prior=0.2,
        ),
        Algorithm(
            key="linear_discriminant",
            name="Linear discriminant analysis",
            task=t,
            family="discriminant",
            speed="fast",
            interpretability="high",
            style="dense",
            build=_fixed(da.LinearDiscriminantAnalysis),
            description="Gaussian classes with a shared covariance: a linear boundary with closed-form fitting.",
            space={"shrinkage": flt(1e-4, 1.0, log=True)},
            defaults={"solver": "lsqr", "shrinkage": "auto"},
            cost=0.15,
            weights=False,
            prior=0.4,
        ),
        Algorithm(
            key="quadratic_discriminant",
            name="Quadratic discriminant analysis",
            task=t,
            family="discriminant",
            speed="fast",
            interpretability="medium",
            style="dense",
            build=_fixed(da.QuadraticDiscriminantAnalysis),
            description="Gaussian classes each with its own covariance: a quadratic boundary.",
            space={"reg_param": flt(1e-4, 1.0, log=True)},
            defaults={"reg_param": 0.1},
            cost=0.15,
            weights=False,
            prior=0.3,
        ),
    ]


def _regressors() -> list[Algorithm]:
    return [
        Algorithm(
            key="kernel_ridge",
            name="Kernel ridge regression",
            task=REG,
            family="kernel",
            speed="slow",
            interpretability="low",
            style="dense",
            build=_fixed(KernelRidge),
            description="Ridge regression in the space of an RBF kernel; cubic in the rows.",
            space={"alpha": flt(1e-4, 10.0, log=True), "gamma": flt(1e-4, 1.0, log=True)},
            defaults={"kernel": "rbf", "alpha": 1.0, "gamma": 0.05},
            cost=7.5,
            cost_power=2.2,
            max_rows=8_000,
            prior=0.45,
        ),
    ]


def entries(task: str) -> list[Algorithm]:
    return _shared(task) + (_classifiers() if task == CLS else _regressors())
