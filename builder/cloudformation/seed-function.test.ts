/** The seed function's Python (SeedBuildZipUrl), run in python3 with boto3, the download and CloudFormation's answer stubbed. */
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { resources, type Json } from './test-template'

describe('orchard-pipeline.yaml', () => {
  describe('the optional first build (SeedBuildZipUrl)', () => {
    // Each test starts python3 up to four times: a busy machine takes over vitest's default 5 s.
    describe('its Python code (boto3, the download and the answer to CloudFormation stubbed)', { timeout: 30_000 }, () => {
      const code = resources.SourceToS3Function.Properties.Code.ZipFile as string
      // Runs the handler once in python3 with `scenario`: boto3 records put_object calls, the
      // opener serves (or fails) the download, urlopen records the answer to CloudFormation.
      const harness = `
import base64, hashlib, io, json, sys, types, urllib.request, zipfile
scenario = json.loads(sys.argv[1])
puts, answers, opened = [], [], []
class S3:
    def put_object(self, **kwargs):
        body = kwargs.pop('Body').read()
        kwargs['sha256'], kwargs['size'] = hashlib.sha256(body).hexdigest(), len(body)
        kwargs['names'] = sorted(zipfile.ZipFile(io.BytesIO(body)).namelist())
        puts.append(kwargs)
sys.modules['boto3'] = types.SimpleNamespace(client=lambda name: S3())
download = scenario.get('download', {})
if 'entries' in download:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as archive:
        for name, text in download['entries'].items(): archive.writestr(name, text)
    data = buffer.getvalue()
else:
    data = download.get('text', '').encode()
class Response(io.BytesIO):
    def __init__(self, data, headers): super().__init__(data); self.headers = headers
class Opener:
    def __init__(self, handlers): self.handlers = handlers
    def open(self, request, timeout=None):
        opened.append({'url': request.full_url, 'timeout': timeout})
        if 'error' in download: raise OSError(download['error'])
        return Response(data, download.get('headers', {}))
urllib.request.build_opener = lambda *handlers: Opener(handlers)
class Answer:
    def read(self): return b''
def urlopen(request, timeout=None):
    answers.append({'method': request.get_method(), 'url': request.full_url, 'body': json.loads(request.data)}); return Answer()
urllib.request.urlopen = urlopen
namespace = {}
exec(compile(sys.stdin.read(), 'index.py', 'exec'), namespace)
namespace.update(scenario.get('limits', {}))
left = scenario.get('millisLeft', 900000)
namespace['handler'](scenario['event'], types.SimpleNamespace(log_stream_name='stream', get_remaining_time_in_millis=lambda: left))
print('RESULT ' + json.dumps({'puts': puts, 'answers': answers, 'opened': opened, 'downloadSha256': hashlib.sha256(data).hexdigest(), 'downloadSize': len(data)}))
`
      const BUILD_ZIP = { 'recipe.yml': 'name: seed\n', 'build.json': '{"format": 1, "id": "20250101-120000-1a2b3c4d"}', 'buildspec.yml': 'version: 0.2\n', 'orchard-builder.tgz': 'tgz', 'files/motd': 'hi\n' }
      const URL = 'https://downloads.example.com/orchard/seed.zip?X-Amz-Signature=secret'
      const event = (type: string, extra: Json = {}) => ({
        RequestType: type,
        ResponseURL: 'https://cloudformation-custom-resource-response.invalid/r1',
        StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orchard/1',
        RequestId: 'r1',
        LogicalResourceId: 'SeedBuildZip',
        ResourceType: 'Custom::SourceToS3',
        ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:orchard-seed', ServiceTimeout: '960', Bucket: 'orchard-123456789012-eu-west-1', Key: 'build.zip', SourceUrl: URL },
        ...extra,
      })
      const runFunction = (context: { skip: (note: string) => void }, scenario: Json): Json => {
        const run = spawnSync('python3', ['-c', harness, JSON.stringify(scenario)], { input: code, encoding: 'utf8' })
        if (run.error) context.skip('python3 is not installed: the seed function was not run')
        expect(run.status, run.stderr).toBe(0)
        const line = run.stdout.split('\n').find((text) => text.startsWith('RESULT '))!
        const result = JSON.parse(line.slice('RESULT '.length)) as Json
        // Every run answers CloudFormation exactly once, with a PUT to the presigned URL.
        expect(result.answers).toHaveLength(1)
        expect(result.answers[0]).toMatchObject({ method: 'PUT', url: 'https://cloudformation-custom-resource-response.invalid/r1' })
        expect(result.answers[0].body).toMatchObject({ StackId: scenario.event.StackId, RequestId: 'r1', LogicalResourceId: 'SeedBuildZip', Data: {} })
        expect(JSON.stringify(result.answers[0].body)).not.toContain('X-Amz-Signature')
        return { ...result, answer: result.answers[0].body, stdout: run.stdout }
      }

      it('on Create, downloads the URL and puts those bytes to build.zip, then answers SUCCESS', (context) => {
        const result = runFunction(context, { event: event('Create'), download: { entries: BUILD_ZIP } })
        expect(result.opened).toEqual([{ url: URL, timeout: 30 }])
        expect(result.puts).toEqual([
          {
            Bucket: 'orchard-123456789012-eu-west-1',
            Key: 'build.zip',
            ContentType: 'application/zip',
            Metadata: { 'orchard-build-id': '20250101-120000-1a2b3c4d' },
            sha256: result.downloadSha256,
            size: result.downloadSize,
            names: Object.keys(BUILD_ZIP).sort(),
          },
        ])
        expect(result.answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 's3://orchard-123456789012-eu-west-1/build.zip' })
        expect(result.answer.Reason).toMatch(/^seeded s3:\/\/orchard-123456789012-eu-west-1\/build\.zip: \d+ bytes, build 20250101-120000-1a2b3c4d$/)
      })

      it.for(['Update', 'Delete'])('on %s, touches nothing and answers SUCCESS with the same physical id', (type, context) => {
        const physical = 's3://orchard-123456789012-eu-west-1/build.zip'
        const result = runFunction(context, { event: event(type, { PhysicalResourceId: physical }), download: { entries: BUILD_ZIP } })
        expect(result.opened).toEqual([])
        expect(result.puts).toEqual([])
        expect(result.answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physical, Reason: `${type}: build.zip left as it is` })
      })

      it('answers FAILED with the reason when the download fails (the URL shown without its query)', (context) => {
        const result = runFunction(context, { event: event('Create'), download: { error: 'HTTP Error 404: Not Found' } })
        expect(result.puts).toEqual([])
        expect(result.answer).toMatchObject({
          Status: 'FAILED',
          PhysicalResourceId: 's3://orchard-123456789012-eu-west-1/build.zip',
          Reason: 'Seeding build.zip failed: could not download https://downloads.example.com/orchard/seed.zip: HTTP Error 404: Not Found',
        })
      })

      it('answers FAILED for a download over the size limit, announced or streamed', (context) => {
        const announced = runFunction(context, { event: event('Create'), limits: { MAX_BYTES: 100 }, download: { text: 'x'.repeat(50), headers: { 'Content-Length': '2000' } } })
        expect(announced.puts).toEqual([])
        expect(announced.answer).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('it is 2000 bytes, over the 100 allowed') })
        const streamed = runFunction(context, { event: event('Create'), limits: { MAX_BYTES: 100 }, download: { text: 'x'.repeat(2000) } })
        expect(streamed.puts).toEqual([])
        expect(streamed.answer).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('it is over the 100 bytes allowed') })
      })

      it('answers FAILED when the download runs out of time, is not https, or is not a complete build.zip', (context) => {
        const late = runFunction(context, { event: event('Create'), millisLeft: 100_000, download: { entries: BUILD_ZIP } })
        expect(late.answer).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('it took over 600 s') })
        const plain = runFunction(context, { event: event('Create', { ResourceProperties: { ...event('Create').ResourceProperties, SourceUrl: 'http://example.com/seed.zip' } }) })
        expect(plain.opened).toEqual([])
        expect(plain.answer).toMatchObject({ Status: 'FAILED', Reason: 'Seeding build.zip failed: SeedBuildZipUrl must be an https:// URL, not http://example.com/seed.zip' })
        const notZip = runFunction(context, { event: event('Create'), download: { text: '<html>login</html>' } })
        expect(notZip.answer).toMatchObject({ Status: 'FAILED', Reason: 'Seeding build.zip failed: the download is not a zip file' })
        const { 'orchard-builder.tgz': _builder, ...withoutBuilder } = BUILD_ZIP
        const partial = runFunction(context, { event: event('Create'), download: { entries: withoutBuilder } })
        expect(partial.answer).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('not a complete build.zip (orchard cloud build --zip-only): no orchard-builder.tgz') })
        for (const result of [late, plain, notZip, partial]) expect(result.puts).toEqual([])
      })

      it('answers FAILED for a malformed request rather than not at all', (context) => {
        const result = runFunction(context, { event: { ...event('Create'), ResourceProperties: {} }, download: { entries: BUILD_ZIP } })
        expect(result.puts).toEqual([])
        expect(result.answer).toMatchObject({ Status: 'FAILED', Reason: "Seeding build.zip failed: 'SourceUrl'" })
      })

      it('follows redirects only to https', (context) => {
        const check = `
import sys, types, urllib.request
sys.modules['boto3'] = types.SimpleNamespace()
namespace = {}
exec(compile(sys.stdin.read(), 'index.py', 'exec'), namespace)
handler = namespace['HttpsOnly']()
request = urllib.request.Request('https://example.com/seed.zip')
print(handler.redirect_request(request, None, 302, 'Found', {}, 'https://cdn.example.com/seed.zip').full_url)
try:
    handler.redirect_request(request, None, 302, 'Found', {}, 'http://cdn.example.com/seed.zip?sig=secret')
except ValueError as error:
    print(error)
`
        const run = spawnSync('python3', ['-c', check], { input: code, encoding: 'utf8' })
        if (run.error) context.skip('python3 is not installed: the seed function was not run')
        expect(run.status, run.stderr).toBe(0)
        expect(run.stdout.trim().split('\n')).toEqual(['https://cdn.example.com/seed.zip', 'refused a redirect to http://cdn.example.com/seed.zip (https only)'])
      })
    })
  })
})
