#!/usr/bin/env python3
"""Drive the AWS side of the end-to-end test against a moto server (S3, SQS, notifications).

  moto_flow.py ENDPOINT setup BUCKET QUEUE          create the staging bucket, lake bucket and
                                                    queue, and notify the queue of every
                                                    ObjectCreated event in the bucket
  moto_flow.py ENDPOINT put BUCKET KEY FILE         upload a file
  moto_flow.py ENDPOINT receive QUEUE N             receive until N messages have arrived (or the
                                                    queue stays empty); print them as JSON
  moto_flow.py ENDPOINT event QUEUE N               receive like `receive`, and print the messages as
                                                    the SQS event Lambda would be invoked with
  moto_flow.py ENDPOINT download BUCKET DIR         copy every object of a bucket into DIR
"""
import json
import os
import sys

import boto3

REGION = "us-east-1"


def client(endpoint, service):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def main():
    endpoint, cmd, *args = sys.argv[1:]
    s3 = client(endpoint, "s3")
    sqs = client(endpoint, "sqs")
    if cmd == "setup":
        bucket, queue = args
        s3.create_bucket(Bucket=bucket)
        s3.create_bucket(Bucket="lake")
        url = sqs.create_queue(QueueName=queue)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={
                "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]
            },
        )
        print(json.dumps({"queue_url": url, "queue_arn": arn}))
    elif cmd == "put":
        bucket, key, path = args
        with open(path, "rb") as f:
            s3.put_object(Bucket=bucket, Key=key, Body=f.read())
    elif cmd in ("receive", "event"):
        queue, n = args[0], int(args[1])
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        got = []
        while len(got) < n:
            resp = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"]
            )
            msgs = resp.get("Messages", [])
            if not msgs:
                break
            got.extend(msgs)
        if cmd == "receive":
            print(json.dumps([{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]} for m in got]))
        else:
            records = [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": m.get("MD5OfBody", ""),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                    "awsRegion": REGION,
                }
                for m in got
            ]
            print(json.dumps({"Records": records}, indent=2))
    elif cmd == "download":
        bucket, out = args
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for page in pages:
            for o in page.get("Contents", []):
                dest = os.path.join(out, o["Key"])
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                s3.download_file(bucket, o["Key"], dest)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
