// aliyun-tea.js calls cloudemu's Aliyun port through the current official
// Tea-based ECS client (@alicloud/ecs20140526 over @alicloud/openapi-client),
// which signs with the V3 request syntax (ACS3-HMAC-SHA256), and exits
// non-zero on the first wrong answer.
//
// Usage: NODE_PATH=<dir>/node_modules node aliyun-tea.js http://127.0.0.1:8480
'use strict';
const Ecs = require('@alicloud/ecs20140526');
const OpenApi = require('@alicloud/openapi-client');
const url = new URL(process.argv[2] || 'http://127.0.0.1:8480');
const region = 'cn-hangzhou';
const client = (secret) => new Ecs.default(new OpenApi.Config({
  accessKeyId: 'testid', accessKeySecret: secret, endpoint: url.host, protocol: url.protocol.replace(':', ''), regionId: region,
}));
const ecs = client('testsecret');
let step = 0;
function ok(what) { console.log(`ok ${++step} ${what}`); }
function check(cond, what) { if (!cond) throw new Error('check failed: ' + what); ok(what); }

async function main() {
  const regions = await ecs.describeRegions(new Ecs.DescribeRegionsRequest({}));
  check(regions.body.regions.region.some((r) => r.regionId === region), 'DescribeRegions lists ' + region);
  const zones = await ecs.describeZones(new Ecs.DescribeZonesRequest({ regionId: region }));
  check(zones.body.zones.zone.length > 0, 'DescribeZones');
  const price = await ecs.describePrice(new Ecs.DescribePriceRequest({ regionId: region, resourceType: 'instance', instanceType: 'ecs.g7.large',
    systemDisk: new Ecs.DescribePriceRequestSystemDisk({ category: 'cloud_essd' }) }));
  check(price.body.priceInfo.price.tradePrice > 0, 'DescribePrice TradePrice > 0');
  const sg = await ecs.describeInstances(new Ecs.DescribeInstancesRequest({ regionId: region, pageSize: 10, pageNumber: 1 }));
  check(typeof sg.body.totalCount === 'number', 'DescribeInstances TotalCount');
  try {
    await client('wrong-secret').describeRegions(new Ecs.DescribeRegionsRequest({}));
    throw new Error('a wrong secret was accepted');
  } catch (e) {
    check(e.code === 'SignatureDoesNotMatch' && !String(e.message).includes('wrong-secret'), `wrong secret -> ${e.code}`);
  }
  try {
    await ecs.describeInstanceAttribute(new Ecs.DescribeInstanceAttributeRequest({ instanceId: 'i-doesnotexist000000' }));
    throw new Error('an unknown instance was found');
  } catch (e) {
    check(e.code === 'InvalidInstanceId.NotFound', `unknown instance -> ${e.code}`);
  }
  console.log('aliyun tea client: all steps passed');
}

main().catch((e) => {
  console.error(`FAIL at step ${step + 1}: ${e.code ? e.code + ': ' : ''}${e.message}`);
  process.exit(1);
});
