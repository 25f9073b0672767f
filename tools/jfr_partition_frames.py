#!/usr/bin/env python3
"""Where a thread's time goes outside ONNX Runtime, from a JFR recording of platform-bench.

Usage:
  java '-XX:StartFlightRecording=filename=R.jfr,settings=profile,jdk.SocketRead#threshold=0ms,jdk.SocketWrite#threshold=0ms,jdk.FileWrite#threshold=0ms,jdk.ExecutionSample#period=2ms' \
       -jar target/diffusion-batch.jar platform-bench --data-dir /tmp/pb --rounds 3 --skip-expand
  jfr print --json --events jdk.SocketRead,jdk.SocketWrite,jdk.ExecutionSample,jdk.FileWrite --stack-depth 30 R.jfr > R.json
  tools/jfr_partition_frames.py R.json [TOP] [THREAD_PREFIX]

Prints, for threads whose name starts with THREAD_PREFIX (default "partition"): the waits (socket
reads/writes to PostgreSQL and Kafka, file writes) summed by top frame and the project/Spring frames
under it, then the Java execution samples by top frame. Keep ThreadPark out of the JSON: with
Tomcat's threads it grows to gigabytes.
"""
import collections
import json
import re
import sys

OURS = ('PartitionWorker', 'ResultStore', 'ItemStore', 'RequestStore', 'KafkaRunEvents', 'ItemWriter', 'Engine',
        'TaskletStep', 'RunContexts', 'SimpleJobRepository', 'JdbcStepExecutionDao', 'JdbcExecutionContextDao',
        'DataSourceTransactionManager', 'AbstractPlatformTransactionManager', 'TransactionTemplate', 'PngWriter',
        'SidecarJson')


def seconds(iso):
    m = re.match(r'PT(?:(\d+)M)?([\d.]+)S', iso or '')
    return (int(m.group(1) or 0) * 60 + float(m.group(2))) if m else 0.0


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    prefix = sys.argv[3] if len(sys.argv) > 3 else 'partition'
    events = json.load(open(path))['recording']['events']
    waits, counts, samples = collections.Counter(), collections.Counter(), collections.Counter()
    n_samples = 0
    for e in events:
        v = e['values']
        thread = v.get('eventThread') or v.get('sampledThread') or {}
        if not (thread.get('javaName') or '').startswith(prefix):
            continue
        frames = (v.get('stackTrace') or {}).get('frames') or []
        names = [f"{f['method']['type']['name'].split('/')[-1]}.{f['method']['name']}" for f in frames]
        ours = []
        for n in names:
            if n.split('.')[0].split('$')[0] in OURS and (not ours or ours[-1] != n):
                ours.append(n)
        path_ = ' < '.join(ours[:4])
        if e['type'] == 'jdk.ExecutionSample':
            n_samples += 1
            samples[(names[0] if names else '?', path_)] += 1
        else:
            key = (e['type'].replace('jdk.', ''), names[0] if names else '?', path_)
            waits[key] += seconds(v.get('duration'))
            counts[key] += 1
    print(f'== waits on {prefix}* threads (sum of durations, count)')
    for k, s in waits.most_common(top):
        print(f'{s:8.3f}s {counts[k]:6d}  ' + ' | '.join(k))
    print(f'== Java execution samples on {prefix}* threads: {n_samples}')
    for k, c in samples.most_common(top):
        print(f'{c:6d}  ' + ' | '.join(k))


if __name__ == '__main__':
    main()
