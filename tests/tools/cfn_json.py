#!/usr/bin/env python3
"""Print a CloudFormation/SAM YAML template as JSON, short-form tags (!Ref, !Sub, ...) expanded
to their long forms, using cfn-lint's own loader."""
import json
import sys

from cfnlint.decode import cfn_yaml

print(json.dumps(cfn_yaml.load(sys.argv[1])))
