"""Clustering methods. Where a method needs the number of clusters, the default is "auto": the
number with the best silhouette between 2 and 10 (AutoKClusterer). The search tries each method
once with its defaults; the spaces (fixed numbers of clusters among them) describe what may be
set in the catalog. Methods that cannot place new rows get a nearest-row rule (ClusterAssigner)."""

from __future__ import annotations

from sklearn import cluster, mixture

from ..estimators import AutoKClusterer, ClusterAssigner
from .base import Algorithm, Context, choice, flt, integer

TASK = "clustering"
K_SPACE = {"n_clusters": choice("auto", 2, 3, 4, 5, 6, 7, 8, 10, 12)}


def _with_k(cls, param: str = "n_clusters", assign: bool = False, **fixed):
    def build(params: dict, ctx: Context):
        params = dict(params)
        k = params.pop(param, "auto")
        extra = {"random_state": ctx.seed} if "random_state" in cls().get_params() else {}
        base = cls(**fixed, **extra, **params)
        if assign:
            base = ClusterAssigner(base, random_state=ctx.seed)
        if k == "auto":
            return AutoKClusterer(base, param=f"estimator__{param}" if assign else param, random_state=ctx.seed)
        return base.set_params(**{f"estimator__{param}" if assign else param: int(k)})

    return build


def _assigned(cls, **fixed):
    def build(params: dict, ctx: Context):
        extra = {"random_state": ctx.seed} if "random_state" in cls().get_params() else {}
        return ClusterAssigner(cls(**fixed, **extra, **params), random_state=ctx.seed)

    return build


def entries(task: str = TASK) -> list[Algorithm]:
    def entry(key, name, family, build, description, *, space=None, defaults=None, speed="fast", cost=0.5, **more):
        return Algorithm(
            key=key,
            name=name,
            task=TASK,
            family=family,
            speed=speed,
            interpretability=more.pop("interpretability", "medium"),
            style="dense",
            build=build,
            description=description,
            space=space or {},
            defaults=defaults or {},
            cost=cost,
            weights=False,
            **more,
        )

    return [
        entry(
            "kmeans",
            "k-means",
            "centroid",
            _with_k(cluster.KMeans, n_init=3),
            "Groups rows around k centres, each row with its nearest centre.",
            space=K_SPACE,
            defaults={"n_clusters": "auto"},
            cost=0.3,
            prior=0.8,
            interpretability="high",
        ),
        entry(
            "minibatch_kmeans",
            "Mini-batch k-means",
            "centroid",
            _with_k(cluster.MiniBatchKMeans, n_init=3),
            "k-means on small random batches: much faster on large data.",
            space=K_SPACE,
            defaults={"n_clusters": "auto"},
            cost=0.1,
            prior=0.7,
            interpretability="high",
        ),
        entry(
            "bisecting_kmeans",
            "Bisecting k-means",
            "centroid",
            _with_k(cluster.BisectingKMeans),
            "Splits the data in two again and again with k-means: a hierarchy of centres.",
            space=K_SPACE,
            defaults={"n_clusters": "auto"},
            cost=0.3,
            prior=0.65,
            interpretability="high",
        ),
        entry(
            "gaussian_mixture",
            "Gaussian mixture",
            "mixture",
            _with_k(mixture.GaussianMixture, param="n_components"),
            "Soft clusters of elliptical shape (a mixture of normal distributions).",
            space={
                "n_components": K_SPACE["n_clusters"],
                "covariance_type": choice("full", "diag", "tied", "spherical"),
            },
            defaults={"n_components": "auto", "covariance_type": "full"},
            cost=0.6,
            prior=0.7,
        ),
        entry(
            "agglomerative",
            "Agglomerative (Ward)",
            "hierarchical",
            _with_k(cluster.AgglomerativeClustering, assign=True),
            "Merges the closest groups step by step (Ward linkage); quadratic in the rows, so large data "
            "is clustered on a sample.",
            space={**K_SPACE, "linkage": choice("ward", "average", "complete")},
            defaults={"n_clusters": "auto", "linkage": "ward"},
            cost=2.0,
            cost_power=1.6,
            max_rows=200_000,
            speed="medium",
            prior=0.6,
        ),
        entry(
            "birch",
            "BIRCH",
            "hierarchical",
            _with_k(cluster.Birch),
            "Builds a compact tree of sub-clusters in one pass, then groups them.",
            space={**K_SPACE, "threshold": flt(0.1, 2.0, log=True)},
            defaults={"n_clusters": "auto", "threshold": 0.5},
            cost=0.5,
            prior=0.5,
        ),
        entry(
            "dbscan",
            "DBSCAN",
            "density",
            _assigned(cluster.DBSCAN),
            "Clusters of dense regions, any shape; rows in sparse regions are noise (-1). Finds the number "
            "of clusters itself.",
            space={"eps": flt(0.1, 5.0, log=True), "min_samples": integer(3, 50, log=True)},
            defaults={"eps": 0.5, "min_samples": 5},
            cost=1.5,
            cost_power=1.3,
            speed="medium",
            prior=0.5,
        ),
        entry(
            "hdbscan",
            "HDBSCAN",
            "density",
            _assigned(cluster.HDBSCAN),
            "Density clusters at every density level, keeping the most stable; finds the number of clusters itself.",
            space={"min_cluster_size": integer(5, 200, log=True), "min_samples": integer(1, 50, log=True)},
            defaults={"min_cluster_size": 15},
            cost=2.0,
            cost_power=1.4,
            speed="medium",
            prior=0.6,
        ),
        entry(
            "optics",
            "OPTICS",
            "density",
            _assigned(cluster.OPTICS),
            "Orders rows by density reachability and cuts clusters from it; finds the number of clusters itself.",
            space={"min_samples": integer(3, 50, log=True), "xi": flt(0.01, 0.2, log=True)},
            defaults={"min_samples": 10},
            cost=6.0,
            cost_power=1.5,
            max_rows=50_000,
            speed="slow",
            prior=0.4,
        ),
        entry(
            "mean_shift",
            "Mean shift",
            "density",
            _assigned(cluster.MeanShift, bin_seeding=True),
            "Moves candidate centres to the densest areas; finds the number of clusters itself.",
            space={"bandwidth": choice(None, 0.5, 1.0, 2.0, 4.0)},
            cost=4.0,
            cost_power=1.3,
            max_rows=50_000,
            speed="slow",
            prior=0.35,
        ),
        entry(
            "spectral",
            "Spectral clustering",
            "graph",
            _with_k(cluster.SpectralClustering, assign=True, affinity="nearest_neighbors"),
            "Clusters a graph of nearest neighbours: finds non-convex shapes.",
            space={**K_SPACE, "n_neighbors": integer(5, 50, log=True)},
            defaults={"n_clusters": "auto", "n_neighbors": 10},
            cost=5.0,
            cost_power=1.5,
            max_rows=100_000,
            speed="slow",
            prior=0.45,
        ),
        entry(
            "affinity_propagation",
            "Affinity propagation",
            "graph",
            _assigned(cluster.AffinityPropagation, max_iter=300),
            "Rows vote for exemplars by passing messages; finds the number of clusters itself.",
            space={"damping": flt(0.5, 0.95)},
            defaults={"damping": 0.7},
            cost=10.0,
            cost_power=2.0,
            max_rows=5_000,
            speed="slow",
            prior=0.3,
        ),
    ]
