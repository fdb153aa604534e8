#!/usr/bin/env bash
# Peak memory (RSS) of the release binary on the Lambda's paths, measured with GNU time against a
# local moto server:
#   1. one S3 object of 1 GiB uncompressed (Network Firewall JSON lines, gzip) via an SQS event;
#   2. one Kinesis batch of 10,000 Sysmon records (Kinesis Agent for Windows JSON);
#   3. the command line on the same 1 GiB file, for comparison;
#   4. the command line on one JSON document of 1 GiB (a CloudTrail-like `Records` array, format
#      `json`), which is read event by event.
# Needs: ./.venv with moto[server] (tests/run.sh installs it), /usr/bin/time. Takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bin ocsf-transform
BIN="$PWD/target/release/ocsf-transform"
PY="$PWD/.venv/bin/python"
WORK="$(mktemp -d)"
trap 'kill "$MOTO_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

"$PY" - "$WORK" <<'PY'
import base64, gzip, json, sys
work = sys.argv[1]
fw = [l for l in gzip.open("tests/fixtures/aws-network-firewall/edge-fw.log.gz").read().split(b"\n") if l.strip()]
chunk = b"\n".join(fw) + b"\n"
size = 0
with open(f"{work}/big.jsonl", "wb") as raw, gzip.open(f"{work}/big.jsonl.gz", "wb", compresslevel=1) as gz:
    while size < 1 << 30:
        raw.write(chunk); gz.write(chunk); size += len(chunk)
sysmon = [l for l in open("tests/fixtures/windows-sysmon/kinesis-agent-sysmon.jsonl", "rb").read().split(b"\n") if l.strip()]
tpl = json.load(open("../shared/samples/lambda-events/powertools-python__kinesisStreamEvent.json"))["Records"][0]
recs = []
for i in range(10000):
    r = json.loads(json.dumps(tpl))
    seq = str(10**20 + i)
    r["kinesis"]["data"] = base64.b64encode(sysmon[i % len(sysmon)]).decode()
    r["kinesis"]["sequenceNumber"] = seq
    r["eventID"] = "shardId-000000000000:" + seq
    r["eventSourceARN"] = "arn:aws:kinesis:us-east-1:000000000000:stream/sysmon-log-collection"
    recs.append(r)
json.dump({"Records": recs}, open(f"{work}/kinesis.json", "w"))
PY

PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
EP="http://127.0.0.1:$PORT"
"$(dirname "$PY")/moto_server" -H 127.0.0.1 -p "$PORT" >/dev/null 2>&1 &
MOTO_PID=$!
until "$PY" -c "import socket; socket.create_connection(('127.0.0.1',$PORT))" 2>/dev/null; do :; done
FLOW=("$PY" tests/tools/moto_flow.py "$EP")
"${FLOW[@]}" setup ocsf-staging staging-events >/dev/null
KEY="aws-nfw/big.jsonl.gz"
"${FLOW[@]}" put ocsf-staging "$KEY" "$WORK/big.jsonl.gz"
"$PY" - "$WORK" "$KEY" <<'PY'
import json, sys
work, key = sys.argv[1:]
tpl = json.load(open("../shared/samples/lambda-events/powertools-python__s3SqsEvent.json"))
n = json.load(open("../shared/samples/lambda-events/aws-s3-userguide__s3-objectcreated-put.json"))
n["Records"][0]["s3"]["bucket"]["name"] = "ocsf-staging"
n["Records"][0]["s3"]["object"]["key"] = key
n["Records"][0]["s3"]["object"].pop("versionId", None)
tpl["Records"][0]["body"] = json.dumps(n)
json.dump(tpl, open(f"{work}/sqs.json", "w"))
PY

export AWS_ENDPOINT_URL="$EP" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
rss() { grep "Maximum resident" "$1" | awk '{printf "%.0f MB", $NF/1024}'; }
/usr/bin/time -v "$BIN" invoke --event "$WORK/sqs.json" --lake s3://lake/ >"$WORK/out1" 2>"$WORK/time1"
echo "S3 object, 1 GiB uncompressed ($(stat -c %s "$WORK/big.jsonl.gz") bytes gzip): peak RSS $(rss "$WORK/time1"); $(grep 'events in' "$WORK/time1")"
/usr/bin/time -v "$BIN" invoke --event "$WORK/kinesis.json" --lake s3://lake/ >"$WORK/out2" 2>"$WORK/time2"
echo "Kinesis batch, 10,000 records ($(stat -c %s "$WORK/kinesis.json") bytes event): peak RSS $(rss "$WORK/time2"); $(grep 'events in' "$WORK/time2")"
/usr/bin/time -v "$BIN" transform --source aws-network-firewall --out "$WORK/lake" "$WORK/big.jsonl" >/dev/null 2>"$WORK/time3"
echo "CLI transform, same 1 GiB file: peak RSS $(rss "$WORK/time3")"

# 4. One 1 GiB JSON document: a `Records` array, with a config of its own.
"$PY" - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
json.dump({"sources": [{"name": "trail", "mapping_file": "trail.json", "account_id": "external",
           "format": {"type": "json", "records_key": "Records"}}]}, open(f"{work}/sources.json", "w"))
json.dump({"custom_source_events": {"source_name": "trail", "matched_field": "$.eventType",
  "ocsf_mapping": {"AwsApiCall": {"schema": "base_event", "schema_mapping": {
    "metadata": {"product": {"name": "Trail", "vendor_name": "Example"}}, "time": "$.eventTime",
    "activity_id": 99, "severity_id": 1, "message": "$.eventName",
    "unmapped": {"src": "$.sourceIPAddress", "bucket": "$.requestParameters.bucketName"}}}}}},
  open(f"{work}/trail.json", "w"))
size, i = 0, 0
with open(f"{work}/big-document.json", "w") as f:
    f.write('{"Records":[')
    while size < 1 << 30:
        rec = json.dumps({"eventType": "AwsApiCall", "eventTime": f"2024-03-05T10:{i // 60 % 60:02d}:{i % 60:02d}Z",
                          "eventName": ["GetObject", "PutObject", "ListBuckets"][i % 3],
                          "sourceIPAddress": f"10.0.{i % 256}.{i // 256 % 256}",
                          "requestParameters": {"bucketName": "b", "key": f"k/{i}"}, "eventID": f"{i:032x}"})
        f.write(("," if i else "") + rec)
        size += len(rec) + 1
        i += 1
    f.write("]}")
PY
/usr/bin/time -v "$BIN" transform --config "$WORK/sources.json" --source trail --out "$WORK/lake4" "$WORK/big-document.json" >/dev/null 2>"$WORK/time4"
echo "CLI transform, one 1 GiB JSON document (Records array): peak RSS $(rss "$WORK/time4"); $(grep 'events in' "$WORK/time4")"
