#!/usr/bin/env bash
# Runs an EC2 / Price List / STS lifecycle through the AWS CLI (botocore)
# against the AWS face of cloudemu at ENDPOINT, checking every answer, and
# deletes what it created. Exits non-zero on the first wrong answer.
#
# Usage: scripts/peer/aws-lifecycle.sh http://127.0.0.1:8481
# The emulator's default key pair (awstest.DefaultAccessKeyID) is used.
set -euo pipefail
endpoint=${1:?usage: aws-lifecycle.sh ENDPOINT}
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
step=0
awsc() { aws --endpoint-url "$endpoint" --region us-east-1 --output text "$@"; }
ok() { step=$((step + 1)); echo "ok $step $(date +%T) $*"; }
fail() { echo "FAIL after step $step: $*" >&2; exit 1; }
want() { # want WHAT GOT EXPECTED
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
	ok "$1"
}
# want_error WHAT CODE -- aws args...: the call must fail with CODE.
want_error() {
	local what=$1 code=$2 out
	shift 3
	if out=$("$@" 2>&1); then fail "$what: succeeded, want $code"; fi
	case "$out" in
	*"($code)"*) ok "$what -> $code" ;;
	*) fail "$what: got '$out', want $code" ;;
	esac
	case "$out" in *"$AWS_SECRET_ACCESS_KEY"* | *wrong-secret-value*) fail "$what: the error shows a secret" ;; esac
}

want "describe-regions" "$(awsc ec2 describe-regions --region-names us-east-1 --query 'Regions[].RegionName')" us-east-1
want "describe-availability-zones" "$(awsc ec2 describe-availability-zones --filters Name=zone-name,Values=us-east-1a --query 'AvailabilityZones[].[ZoneName,State]')" "us-east-1a	available"
ami=$(awsc ec2 describe-images --owners amazon 099720109477 --filters 'Name=name,Values=ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*' --query 'sort_by(Images,&CreationDate)[-1].ImageId')
[[ $ami == ami-* ]] || fail "describe-images: got '$ami'"
ok "describe-images $ami"
want "describe-instance-types" "$(awsc ec2 describe-instance-types --instance-types m5.large --query 'InstanceTypes[].[InstanceType,VCpuInfo.DefaultVCpus,MemoryInfo.SizeInMiB]')" "m5.large	2	8192"

vpc=$(awsc ec2 create-vpc --cidr-block 10.20.0.0/16 --tag-specifications 'ResourceType=vpc,Tags=[{Key=Name,Value=peer-check},{Key=Owner,Value=cli}]' --query Vpc.VpcId)
want "create-vpc tags" "$(awsc ec2 describe-vpcs --filters Name=tag:Owner,Values=cli --query 'Vpcs[].[VpcId,CidrBlock,State]')" "$vpc	10.20.0.0/16	available"
subnet=$(awsc ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.20.1.0/24 --availability-zone us-east-1a --query Subnet.SubnetId)
want "create-subnet" "$(awsc ec2 describe-subnets --subnet-ids "$subnet" --query 'Subnets[].[VpcId,AvailabilityZone]')" "$vpc	us-east-1a"
sg=$(awsc ec2 create-security-group --group-name peer-check --description "peer check" --vpc-id "$vpc" --query GroupId)
awsc ec2 authorize-security-group-ingress --group-id "$sg" --ip-permissions \
	'IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=0.0.0.0/0,Description=ssh}]' \
	'IpProtocol=tcp,FromPort=443,ToPort=443,IpRanges=[{CidrIp=10.0.0.0/8},{CidrIp=192.168.0.0/16}]' \
	'IpProtocol=udp,FromPort=1000,ToPort=2000,Ipv6Ranges=[{CidrIpv6=::/0}]' >/dev/null
awsc ec2 authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 8080 --cidr 1.2.3.4/32 >/dev/null
want "authorize-security-group-ingress" "$(awsc ec2 describe-security-groups --group-ids "$sg" --query 'length(SecurityGroups[0].IpPermissions)') $(awsc ec2 describe-security-groups --group-ids "$sg" --query 'SecurityGroups[0].IpPermissions[?IpProtocol==`udp`].Ipv6Ranges[].CidrIpv6')" "4 ::/0"
want_error "authorize duplicate" InvalidPermission.Duplicate -- awsc ec2 authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 8080 --cidr 1.2.3.4/32

igw=$(awsc ec2 create-internet-gateway --query InternetGateway.InternetGatewayId)
awsc ec2 attach-internet-gateway --internet-gateway-id "$igw" --vpc-id "$vpc"
rt=$(awsc ec2 describe-route-tables --filters "Name=vpc-id,Values=$vpc" --query 'RouteTables[0].RouteTableId')
want "create-route" "$(awsc ec2 create-route --route-table-id "$rt" --destination-cidr-block 0.0.0.0/0 --gateway-id "$igw" --query Return)" True
want "describe-route-tables" "$(awsc ec2 describe-route-tables --route-table-ids "$rt" --query 'RouteTables[0].Routes[?GatewayId==`'"$igw"'`].State')" active

run() {
	awsc ec2 run-instances --image-id "$ami" --instance-type "$1" --subnet-id "$subnet" --security-group-ids "$sg" \
		--client-token peer-check-1 --count 2:3 \
		--tag-specifications 'ResourceType=instance,Tags=[{Key=Name,Value=peer-vm},{Key=Owner,Value=cli}]' \
		--query 'sort_by(Instances,&InstanceId)[].InstanceId'
}
ids=$(run m5.large)
[ "$(wc -w <<<"$ids")" = 3 ] || fail "run-instances --count 2:3: got '$ids'"
ok "run-instances $ids"
want "run-instances replay (client token)" "$(run m5.large)" "$ids"
want_error "run-instances token reuse, other params" IdempotentParameterMismatch -- run m5.xlarge
# shellcheck disable=SC2086
awsc ec2 wait instance-running --instance-ids $ids
ok "wait instance-running"
want "describe-instances filters" "$(awsc ec2 describe-instances --filters Name=tag:Owner,Values=cli Name=instance-state-name,Values=running --query 'length(Reservations[].Instances[])')" 3
# Pagination: 5 more instances, then pages of 5 and a client-side cut of 2.
awsc ec2 run-instances --image-id "$ami" --instance-type t3.micro --subnet-id "$subnet" --count 5 --query 'Instances[].InstanceId' >/dev/null
all=$(awsc ec2 describe-instances --page-size 5 --query 'Reservations[].Instances[].InstanceId' | wc -w)
want "describe-instances --page-size 5 (every page)" "$all" 8
want "describe-instances --max-items 1" "$(aws --endpoint-url "$endpoint" --output json ec2 describe-instances --page-size 5 --max-items 1 --query 'length(Reservations)')" 1
first=${ids%%[[:space:]]*}

alloc=$(awsc ec2 allocate-address --domain vpc --query AllocationId)
assoc=$(awsc ec2 associate-address --allocation-id "$alloc" --instance-id "$first" --query AssociationId)
ip=$(awsc ec2 describe-addresses --allocation-ids "$alloc" --query 'Addresses[0].PublicIp')
want "describe-addresses" "$(awsc ec2 describe-addresses --allocation-ids "$alloc" --query 'Addresses[0].[InstanceId,AssociationId]')" "$first	$assoc"
want "instance public IP" "$(awsc ec2 describe-instances --instance-ids "$first" --query 'Reservations[0].Instances[0].PublicIpAddress')" "$ip"

awsc ec2 stop-instances --instance-ids "$first" >/dev/null
awsc ec2 wait instance-stopped --instance-ids "$first"
ok "stop-instances + wait instance-stopped"
awsc ec2 start-instances --instance-ids "$first" >/dev/null
awsc ec2 wait instance-running --instance-ids "$first"
ok "start-instances + wait instance-running"
awsc ec2 reboot-instances --instance-ids "$first"
ok "reboot-instances"

vol=$(awsc ec2 describe-volumes --filters "Name=attachment.instance-id,Values=$first" --query 'Volumes[0].VolumeId')
want "describe-volumes (CLI default MaxResults=1000)" "$(awsc ec2 describe-volumes --query 'length(Volumes)')" 8
awsc ec2 create-tags --resources "$first" "$vol" --tags Key=env,Value=test Key=empty,Value=
want "create-tags / describe-tags" "$(awsc ec2 describe-tags --filters "Name=resource-id,Values=$first" Name=key,Values=env --query 'Tags[].[ResourceType,Value]')" "instance	test"
awsc ec2 delete-tags --resources "$first" --tags Key=env Key=empty
want "delete-tags" "$(awsc ec2 describe-instances --instance-ids "$first" --query 'length(Reservations[0].Instances[0].Tags)')" 2

want "describe-spot-price-history" "$(awsc ec2 describe-spot-price-history --instance-types m5.large --product-descriptions Linux/UNIX --availability-zone us-east-1a --max-items 1 --query 'SpotPriceHistory[].[InstanceType,ProductDescription]')" "m5.large	Linux/UNIX"
price=$(aws --endpoint-url "$endpoint" --output json pricing get-products --service-code AmazonEC2 --filters Type=TERM_MATCH,Field=instanceType,Value=m5.large Type=TERM_MATCH,Field=regionCode,Value=us-east-1 Type=TERM_MATCH,Field=operatingSystem,Value=Linux --max-items 1 --query 'PriceList[0]')
python3 -c 'import json,sys; p=json.loads(json.loads(sys.argv[1])); a=p["product"]["attributes"]; assert a["instanceType"]=="m5.large" and a["regionCode"]=="us-east-1", a; d=[x for t in p["terms"]["OnDemand"].values() for x in t["priceDimensions"].values()]; assert float(d[0]["pricePerUnit"]["USD"])>0, d' "$price" || fail "pricing get-products: $price"
ok "pricing get-products"
want "sts get-caller-identity" "$(awsc sts get-caller-identity --query Account)" 123456789012

want_error "unknown instance" InvalidInstanceID.NotFound -- awsc ec2 describe-instances --instance-ids i-0123456789abcdef0
want_error "wrong secret (EC2)" SignatureDoesNotMatch -- env AWS_SECRET_ACCESS_KEY=wrong-secret-value aws --endpoint-url "$endpoint" ec2 describe-regions
want_error "wrong secret (STS)" SignatureDoesNotMatch -- env AWS_SECRET_ACCESS_KEY=wrong-secret-value aws --endpoint-url "$endpoint" sts get-caller-identity
want_error "unknown access key" AuthFailure -- env AWS_ACCESS_KEY_ID=AKIAUNKNOWNKEY000000 aws --endpoint-url "$endpoint" ec2 describe-regions
want_error "dry run" DryRunOperation -- awsc ec2 run-instances --image-id "$ami" --instance-type m5.large --dry-run

awsc ec2 disassociate-address --association-id "$assoc"
awsc ec2 release-address --allocation-id "$alloc"
ok "disassociate-address + release-address"
# shellcheck disable=SC2046
every=$(awsc ec2 describe-instances --filters "Name=vpc-id,Values=$vpc" --query 'Reservations[].Instances[].InstanceId')
# shellcheck disable=SC2086
awsc ec2 terminate-instances --instance-ids $every >/dev/null
# shellcheck disable=SC2086
awsc ec2 wait instance-terminated --instance-ids $every
ok "terminate-instances + wait instance-terminated"
want "terminated instance has no subnet" "$(aws --endpoint-url "$endpoint" --output json ec2 describe-instances --instance-ids "$first" --query 'Reservations[0].Instances[0].SubnetId')" null
want "volumes gone" "$(awsc ec2 describe-volumes --filters "Name=attachment.instance-id,Values=$first" --query 'length(Volumes)')" 0
awsc ec2 delete-security-group --group-id "$sg" >/dev/null
awsc ec2 delete-route --route-table-id "$rt" --destination-cidr-block 0.0.0.0/0
awsc ec2 detach-internet-gateway --internet-gateway-id "$igw" --vpc-id "$vpc"
awsc ec2 delete-internet-gateway --internet-gateway-id "$igw"
awsc ec2 delete-subnet --subnet-id "$subnet"
awsc ec2 delete-vpc --vpc-id "$vpc"
want "everything deleted" "$(awsc ec2 describe-vpcs --filters Name=tag:Owner,Values=cli --query 'length(Vpcs)') $(awsc ec2 describe-addresses --query 'length(Addresses)')" "0 0"
echo "aws lifecycle: all $step steps passed"
