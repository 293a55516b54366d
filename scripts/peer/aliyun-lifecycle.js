// aliyun-lifecycle.js runs an ECS/VPC lifecycle through Alibaba Cloud's
// official Node RPC client (@alicloud/pop-core) against cloudemu's Aliyun
// port, and exits non-zero on the first step whose answer is wrong.
//
// Usage: NODE_PATH=<dir>/node_modules node aliyun-lifecycle.js http://127.0.0.1:8480
'use strict';
const RPCClient = require('@alicloud/pop-core').RPCClient;
const endpoint = process.argv[2] || 'http://127.0.0.1:8480';
const accessKeyId = process.env.ALIBABA_CLOUD_ACCESS_KEY_ID || 'testid';
const accessKeySecret = process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET || 'testsecret';
const region = 'cn-hangzhou';

const ecs = new RPCClient({ endpoint, accessKeyId, accessKeySecret, apiVersion: '2014-05-26' });
const vpc = new RPCClient({ endpoint, accessKeyId, accessKeySecret, apiVersion: '2016-04-28' });

function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
}
let step = 0;
async function call(client, action, params, opts) {
  step++;
  const res = await client.request(action, Object.assign({ RegionId: region }, params), Object.assign({ timeout: 10000 }, opts || {}));
  console.log(`ok ${step} ${action}`);
  return res;
}
async function expectError(client, action, params, code, opts) {
  step++;
  try {
    await client.request(action, Object.assign({ RegionId: region }, params), Object.assign({ timeout: 10000 }, opts || {}));
  } catch (e) {
    check(e.code === code, `${action}: error code ${e.code}, want ${code} (${e.message})`);
    console.log(`ok ${step} ${action} -> ${e.code}`);
    return e;
  }
  throw new Error(`${action}: succeeded, want ${code}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitStatus(ids, want) {
  for (let i = 0; i < 100; i++) {
    const r = await ecs.request('DescribeInstances', { RegionId: region, InstanceIds: JSON.stringify(ids), PageSize: 100 });
    const st = r.Instances.Instance.map((x) => x.Status);
    if (st.length === ids.length && st.every((s) => s === want)) return;
    await sleep(200);
  }
  throw new Error(`instances ${ids} never reached ${want}`);
}

async function main() {
  const regions = await call(ecs, 'DescribeRegions', {});
  check(regions.Regions.Region.some((r) => r.RegionId === region), 'DescribeRegions lists ' + region);
  const vregions = await call(vpc, 'DescribeRegions', {});
  check(vregions.Regions.Region.length > 0, 'VPC DescribeRegions');
  const zones = await call(ecs, 'DescribeZones', {});
  const zone = zones.Zones.Zone[0].ZoneId;
  check(zone.startsWith(region), 'zone ' + zone);
  const images = await call(ecs, 'DescribeImages', { ImageOwnerAlias: 'system', OSType: 'linux', PageSize: 50 });
  const image = images.Images.Image.find((i) => i.ImageId.startsWith('ubuntu_22'));
  check(image, 'an Ubuntu 22.04 system image');

  const price = await call(ecs, 'DescribePrice', { ResourceType: 'instance', InstanceType: 'ecs.g7.large', ImageId: image.ImageId, 'SystemDisk.Category': 'cloud_essd', PriceUnit: 'Hour' });
  check(price.PriceInfo && price.PriceInfo.Price && price.PriceInfo.Price.TradePrice > 0, 'DescribePrice TradePrice > 0');

  const v = await call(vpc, 'CreateVpc', { CidrBlock: '172.16.0.0/12', VpcName: 'peer', ClientToken: 'peer-vpc-1' });
  check(/^vpc-/.test(v.VpcId), 'VpcId');
  const v2 = await call(vpc, 'CreateVpc', { CidrBlock: '172.16.0.0/12', VpcName: 'peer', ClientToken: 'peer-vpc-1' });
  check(v2.VpcId === v.VpcId, 'CreateVpc with the same ClientToken answers the same VPC');
  for (let i = 0; i < 50; i++) {
    const d = await vpc.request('DescribeVpcs', { RegionId: region, VpcId: v.VpcId });
    if (d.Vpcs.Vpc[0].Status === 'Available') break;
    await sleep(200);
  }
  const vs = await call(vpc, 'CreateVSwitch', { VpcId: v.VpcId, ZoneId: zone, CidrBlock: '172.16.1.0/24', VSwitchName: 'peer-a' });
  check(/^vsw-/.test(vs.VSwitchId), 'VSwitchId');
  for (let i = 0; i < 50; i++) {
    const d = await vpc.request('DescribeVSwitches', { RegionId: region, VSwitchId: vs.VSwitchId });
    if (d.VSwitches.VSwitch[0].Status === 'Available') break;
    await sleep(200);
  }
  const sg = await call(ecs, 'CreateSecurityGroup', { VpcId: v.VpcId, SecurityGroupName: 'peer-sg', Description: 'peer check' });
  check(/^sg-/.test(sg.SecurityGroupId), 'SecurityGroupId');
  await call(ecs, 'AuthorizeSecurityGroup', { SecurityGroupId: sg.SecurityGroupId, IpProtocol: 'tcp', PortRange: '22/22', SourceCidrIp: '0.0.0.0/0' });
  // The newer form: several rules in one call, as Permissions.N.
  await call(ecs, 'AuthorizeSecurityGroup', { SecurityGroupId: sg.SecurityGroupId, Permissions: [
    { IpProtocol: 'tcp', PortRange: '443/443', SourceCidrIp: '10.0.0.0/8', Description: 'https' },
    { IpProtocol: 'udp', PortRange: '1000/2000', SourceCidrIp: '192.168.0.0/16' },
  ] }, { method: 'POST' });
  const attr = await call(ecs, 'DescribeSecurityGroupAttribute', { SecurityGroupId: sg.SecurityGroupId });
  check(attr.Permissions.Permission.length === 3, `3 rules, got ${attr.Permissions.Permission.length}`);

  const run = await call(ecs, 'RunInstances', {
    ImageId: image.ImageId, InstanceType: 'ecs.g7.large', VSwitchId: vs.VSwitchId, SecurityGroupId: sg.SecurityGroupId,
    Amount: 3, ClientToken: 'peer-run-1', InstanceName: 'peer-vm', 'SystemDisk.Category': 'cloud_essd',
    InstanceChargeType: 'PostPaid', InternetMaxBandwidthOut: 0,
    Tag: [{ Key: 'Owner', Value: 'node' }, { Key: 'Name', Value: 'peer' }],
  });
  const ids = run.InstanceIdSets.InstanceIdSet;
  check(ids.length === 3, '3 instance IDs');
  const again = await call(ecs, 'RunInstances', {
    ImageId: image.ImageId, InstanceType: 'ecs.g7.large', VSwitchId: vs.VSwitchId, SecurityGroupId: sg.SecurityGroupId,
    Amount: 3, ClientToken: 'peer-run-1', InstanceName: 'peer-vm', 'SystemDisk.Category': 'cloud_essd',
    InstanceChargeType: 'PostPaid', InternetMaxBandwidthOut: 0,
    Tag: [{ Key: 'Owner', Value: 'node' }, { Key: 'Name', Value: 'peer' }],
  });
  check(JSON.stringify(again.InstanceIdSets.InstanceIdSet.slice().sort()) === JSON.stringify(ids.slice().sort()), 'RunInstances ClientToken replay answers the same IDs');
  await waitStatus(ids, 'Running');
  console.log(`ok ${++step} instances Running`);

  // Paging: PageSize 2 over the three tagged instances, GET and POST.
  const seen = [];
  for (let page = 1; page <= 3; page++) {
    const r = await call(ecs, 'DescribeInstances', { VpcId: v.VpcId, Tag: [{ Key: 'Owner', Value: 'node' }], PageSize: 2, PageNumber: page }, page === 2 ? { method: 'POST' } : {});
    check(r.TotalCount === 3, `TotalCount 3, got ${r.TotalCount}`);
    r.Instances.Instance.forEach((i) => seen.push(i.InstanceId));
    if (r.Instances.Instance.length < 2) break;
  }
  check(seen.length === 3 && new Set(seen).size === 3, 'paging saw every instance once: ' + seen);
  const tok = await call(ecs, 'DescribeInstances', { MaxResults: 2, Tag: [{ Key: 'Owner', Value: 'node' }] });
  check(tok.Instances.Instance.length === 2 && tok.NextToken, 'MaxResults 2 answers 2 and a NextToken');
  const tok2 = await call(ecs, 'DescribeInstances', { MaxResults: 2, NextToken: tok.NextToken, Tag: [{ Key: 'Owner', Value: 'node' }] });
  check(tok2.Instances.Instance.length === 1, 'NextToken page answers the last instance');

  const eip = await call(vpc, 'AllocateEipAddress', { Bandwidth: '5', InternetChargeType: 'PayByTraffic' });
  check(/^eip-/.test(eip.AllocationId) && eip.EipAddress, 'AllocationId and EipAddress');
  await call(vpc, 'AssociateEipAddress', { AllocationId: eip.AllocationId, InstanceId: ids[0], InstanceType: 'EcsInstance' });
  for (let i = 0; i < 50; i++) {
    const d = await vpc.request('DescribeEipAddresses', { RegionId: region, AllocationId: eip.AllocationId });
    if (d.EipAddresses.EipAddress[0].Status === 'InUse') break;
    await sleep(200);
  }
  const eips = await call(vpc, 'DescribeEipAddresses', { AllocationId: eip.AllocationId });
  check(eips.EipAddresses.EipAddress[0].InstanceId === ids[0], 'EIP bound to the instance');

  await call(ecs, 'StopInstance', { InstanceId: ids[1] });
  await waitStatus([ids[1]], 'Stopped');
  await call(ecs, 'StartInstance', { InstanceId: ids[1] });
  await waitStatus([ids[1]], 'Running');
  await call(ecs, 'RebootInstance', { InstanceId: ids[1] });
  await waitStatus([ids[1]], 'Running');

  await expectError(ecs, 'DescribeInstanceAttribute', { InstanceId: 'i-doesnotexist000000' }, 'InvalidInstanceId.NotFound');
  await expectError(ecs, 'RunInstances', { ImageId: image.ImageId, InstanceType: 'ecs.g7.xlarge', VSwitchId: vs.VSwitchId, SecurityGroupId: sg.SecurityGroupId, Amount: 3, ClientToken: 'peer-run-1' }, 'IdempotentParameterMismatch');
  const bad = new RPCClient({ endpoint, accessKeyId, accessKeySecret: 'wrong-secret', apiVersion: '2014-05-26' });
  const e = await expectError(bad, 'DescribeRegions', {}, 'SignatureDoesNotMatch');
  check(!String(e.message).includes('wrong-secret') && !String(e.message).includes(accessKeySecret), 'the error names no secret');
  const unknown = new RPCClient({ endpoint, accessKeyId: 'nosuchkey', accessKeySecret, apiVersion: '2014-05-26' });
  await expectError(unknown, 'DescribeRegions', {}, 'InvalidAccessKeyId.NotFound');

  await call(vpc, 'UnassociateEipAddress', { AllocationId: eip.AllocationId, InstanceId: ids[0] });
  for (let i = 0; i < 50; i++) {
    const d = await vpc.request('DescribeEipAddresses', { RegionId: region, AllocationId: eip.AllocationId });
    if (d.EipAddresses.EipAddress[0].Status === 'Available') break;
    await sleep(200);
  }
  await call(vpc, 'ReleaseEipAddress', { AllocationId: eip.AllocationId });
  for (const id of ids) await call(ecs, 'DeleteInstance', { InstanceId: id, Force: true });
  for (let i = 0; i < 100; i++) {
    const r = await ecs.request('DescribeInstances', { RegionId: region, InstanceIds: JSON.stringify(ids) });
    if (r.TotalCount === 0) break;
    await sleep(200);
  }
  const gone = await call(ecs, 'DescribeInstances', { InstanceIds: JSON.stringify(ids) });
  check(gone.TotalCount === 0, 'instances deleted');
  await call(ecs, 'DeleteSecurityGroup', { SecurityGroupId: sg.SecurityGroupId });
  await call(vpc, 'DeleteVSwitch', { VSwitchId: vs.VSwitchId });
  for (let i = 0; i < 50; i++) {
    const d = await vpc.request('DescribeVSwitches', { RegionId: region, VpcId: v.VpcId });
    if (d.TotalCount === 0) break;
    await sleep(200);
  }
  await call(vpc, 'DeleteVpc', { VpcId: v.VpcId });
  console.log('aliyun lifecycle: all steps passed');
}

main().catch((e) => {
  console.error(`FAIL at step ${step + 1}: ${e.code ? e.code + ': ' : ''}${e.message}`);
  process.exit(1);
});
