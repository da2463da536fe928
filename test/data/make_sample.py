#!/usr/bin/env python3
"""Write test/data/sample.json, the emulator's sample dataset.

The FDW's regression tests and the demo depend on this file's exact content,
so it is generated deterministically (a private 64-bit LCG, not `random`,
whose algorithms may change between Python versions).  Run it again and
`git diff` must show nothing:

    python3 test/data/make_sample.py > test/data/sample.json

Jobs:
  282 cats-and-dogs  classification, 240 images, 30 untagged; tags include
                     "black cat" (space), "猫" (non-ASCII), "Cat" (case),
                     and URL-breaking names "a&per_page=1000", "x#y", "100%";
                     some images carry extra keys (camera, score, reviewed).
  283 street-signs   detection, 60 images, 10 untagged, 1-4 boxes per image,
                     tags repeat within an image.
  284 empty-job      classification, no images.
  285 hundred        classification, exactly 100 images, all tagged "x".
"""
import json
import sys

PROJECT_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
BUCKET = "https://my-bucket.obs.cn-north-4.myhuaweicloud.com"


class Rng:
    def __init__(self, seed):
        self.x = seed & (2**64 - 1)

    def next(self):
        self.x = (self.x * 6364136223846793005 + 1442695040888963407) % 2**64
        return self.x >> 32

    def below(self, n):
        return self.next() % n

    def hex32(self):
        return "".join("%08x" % self.next() for _ in range(4))


SIZES = [[1920, 1080], [1280, 720], [640, 480], [4032, 3024], [800, 600]]


def versions(rng, job_time, file_count, n):
    out = []
    for v in range(n):
        out.append({
            "version_id": "v%07x" % rng.below(2**28),
            "version_name": "V%03d" % (v + 1),
            "version_desc": "" if v == 0 else "relabelled batch %d" % (v + 1),
            "file_count": file_count,
            "status": 1,
            "create_time": job_time + (v + 1) * 86400000,
        })
    return out


def cats_and_dogs(rng):
    t0 = 1565000000000
    base = ["cat", "dog", "outdoor", "indoor", "black cat", "猫", "Cat"]
    special = {5: ["a&per_page=1000"], 77: ["a&per_page=1000"],
               150: ["a&per_page=1000"], 6: ["x#y"], 78: ["x#y"],
               7: ["100%"], 151: ["100%"], 200: ["100%"]}
    cameras = ["X100", "EOS 5D", "iPhone 12"]
    images = []
    for i in range(240):
        name = "IMG_%04d.jpg" % (i + 1)
        if i == 13:
            name = 'IMG "quoted" \\ back.jpg'
        if i == 14:
            name = "写真_0015.jpg"
        tags = []
        if i % 8 != 3:
            for _ in range(1 + rng.below(3)):
                t = base[rng.below(len(base))]
                if t not in tags:
                    tags.append(t)
            tags += special.get(i, [])
        img = {
            "image_id": rng.hex32(),
            "image_name": name,
            "url": "%s/cats-and-dogs/%s" % (BUCKET, "IMG_%04d.jpg" % (i + 1)),
            "size": SIZES[rng.below(len(SIZES))],
            "tags": tags,
            "create_time": t0 + 3600000 + i * 60000 + rng.below(60000),
        }
        if i % 10 == 0:
            img["camera"] = cameras[(i // 10) % 3]
        if i % 7 == 0:
            img["score"] = 0.87 if i == 0 else rng.below(100) / 100
        if i % 25 == 1:
            img["reviewed"] = (i // 25) % 2 == 0
        images.append(img)
    return {
        "project_id": 282,
        "project_name": "cats-and-dogs",
        "project_desc": "street photos, spring batch",
        "project_type": 0,
        "create_time": t0,
        "version_num": 2,
        "data_path": "/my-bucket/cats-and-dogs/",
        "versions": versions(rng, t0, 240, 2),
        "images": images,
    }


def street_signs(rng):
    t0 = 1565100000000
    names = ["stop sign", "car", "person"]
    images = []
    for i in range(60):
        size = SIZES[rng.below(len(SIZES))]
        tags = []
        if i % 6 != 5:
            for _ in range(1 + rng.below(4)):
                x1 = rng.below(size[0] // 2)
                y1 = rng.below(size[1] // 2)
                tags.append({"tag": names[rng.below(3)],
                             "pos": [x1, y1, x1 + 20 + rng.below(size[0] // 2),
                                     y1 + 20 + rng.below(size[1] // 2)]})
        images.append({
            "image_id": rng.hex32(),
            "image_name": "street_%03d.jpg" % (i + 1),
            "url": "%s/street-signs/street_%03d.jpg" % (BUCKET, i + 1),
            "size": size,
            "tags": tags,
            "create_time": t0 + 3600000 + i * 60000 + rng.below(60000),
        })
    return {
        "project_id": 283,
        "project_name": "street-signs",
        "project_desc": "dashcam frames",
        "project_type": 1,
        "create_time": t0,
        "version_num": 3,
        "data_path": "/my-bucket/street-signs/",
        "versions": versions(rng, t0, 60, 3),
        "images": images,
    }


def empty_job(rng):
    t0 = 1565200000000
    return {
        "project_id": 284,
        "project_name": "empty-job",
        "project_desc": "",
        "project_type": 0,
        "create_time": t0,
        "version_num": 1,
        "data_path": "/my-bucket/empty/",
        "versions": versions(rng, t0, 0, 1),
        "images": [],
    }


def hundred(rng):
    # Same create_time as empty-job: the job list breaks the tie by id.
    t0 = 1565200000000
    images = []
    for i in range(100):
        images.append({
            "image_id": rng.hex32(),
            "image_name": "h_%03d.png" % (i + 1),
            "url": "%s/hundred/h_%03d.png" % (BUCKET, i + 1),
            "size": [256, 256],
            "tags": ["x"],
            "create_time": t0 + 1000 * (i + 1),
        })
    return {
        "project_id": 285,
        "project_name": "hundred",
        "project_desc": "exactly one hundred images, all tagged x",
        "project_type": 0,
        "create_time": t0,
        "version_num": 1,
        "data_path": "/my-bucket/hundred/",
        "versions": versions(rng, t0, 100, 1),
        "images": images,
    }


def dump(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))


def main():
    rng = Rng(20190805)
    jobs = [cats_and_dogs(rng), street_signs(rng), hundred(rng), empty_job(rng)]
    out = ['{"project_id": "%s",' % PROJECT_ID, ' "jobs": [']
    for j, job in enumerate(jobs):
        head = {k: v for k, v in job.items() if k != "images"}
        out.append("  " + dump(head)[:-1] + ', "images": [')
        for i, img in enumerate(job["images"]):
            out.append("   " + dump(img) + ("," if i + 1 < len(job["images"]) else ""))
        out.append("  ]}" + ("," if j + 1 < len(jobs) else ""))
    out.append(" ]}")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
