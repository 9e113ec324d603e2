// Makes s3rver 3.7.1's filesystem store replace objects atomically, as S3 does. Stock s3rver truncates and
// rewrites an object (and its metadata) in place, so a GET that runs meanwhile sees an empty or partial object
// or half-written metadata; the orchestrator rewrites its experiment records while workers read them, and
// experiments then fail now and then. The patch writes aside and renames into place, and reads size and bytes
// from one open file. Usage: node s3rver-atomic.js <s3rver>/lib/stores/filesystem.js
'use strict';
const fs = require('fs');

const file = process.argv[2];
let source = fs.readFileSync(file, 'utf8');
if (source.includes('Patched by deploy/local/s3rver-atomic.js')) process.exit(0);

function replace(from, to, replacement) {
  const start = source.indexOf(from);
  const end = start < 0 ? -1 : source.indexOf(to, start + from.length);
  if (start < 0 || end < 0 || source.indexOf(from, start + 1) >= 0) {
    throw new Error(`${file} is not s3rver 3.7.1's filesystem store: cannot find '${from.trim()}' ... '${to.trim()}' once`);
  }
  source = source.slice(0, start) + replacement + source.slice(end);
}

replace('  async getObject(bucket, key, options) {', '  async putObject(object) {', `
  async getObject(bucket, key, options) {
    // Patched by deploy/local/s3rver-atomic.js: size and bytes come from one open file, so an object that
    // putObject replaces meanwhile (by rename) is read whole, the old one or the new one.
    const objectPath = this.getResourcePath(bucket, key, 'object');
    let fd;
    try {
      fd = await fs.open(objectPath, 'r');
    } catch (err) {
      if (err.code === 'ENOENT') return null;
      throw err;
    }
    try {
      const metadata = await this.getMetadata(bucket, key);
      const stat = await fs.fstat(fd);
      metadata['content-length'] = stat.size;
      metadata['last-modified'] = stat.mtime.toUTCString();
      const lastByte = Math.max(0, Number(metadata['content-length']) - 1);
      const range = {
        start: (options && options.start) || 0,
        end: Math.min((options && options.end) || Infinity, lastByte),
      };

      if (range.start < 0 || Math.min(range.end, lastByte) < range.start) {
        // the range is not satisfiable
        const object = new S3Object(bucket, key, null, metadata);
        if (options && (options.start !== undefined || options.end)) {
          object.range = range;
        }
        return object;
      }

      const content = fs.createReadStream(null, { fd, start: range.start, end: range.end, autoClose: true });
      fd = undefined;
      const object = new S3Object(bucket, key, content, metadata);
      if (options && (options.start !== undefined || options.end)) {
        object.range = range;
      }
      return object;
    } catch (err) {
      if (err.code === 'ENOENT') return null;
      throw err;
    } finally {
      if (fd !== undefined) await fs.close(fd).catch(() => {});
    }
  }


`);
replace('  async putObject(object) {', '  async copyObject(', `
  async putObject(object) {
    // Patched by deploy/local/s3rver-atomic.js: written to a temporary file (which listings ignore), closed,
    // then renamed over the object, so that no reader ever sees a partial object.
    const objectPath = this.getResourcePath(
      object.bucket,
      object.key,
      'object',
    );

    await fs.mkdirp(path.dirname(objectPath));

    const tempPath = \`\${objectPath}.tmp-\${process.pid}-\${crypto.randomBytes(6).toString('hex')}\`;
    try {
      const [size, md5] = await new Promise((resolve, reject) => {
        const writeStream = fs.createWriteStream(tempPath);
        const md5Context = crypto.createHash('md5');
        let totalLength = 0;
        writeStream.on('error', reject);
        writeStream.on('close', () => resolve([totalLength, md5Context.digest('hex')]));

        if (Buffer.isBuffer(object.content)) {
          md5Context.update(object.content);
          totalLength = object.content.length;
          writeStream.end(object.content);
        } else {
          object.content
            .on('error', reject)
            .pipe(
              new Transform({
                transform(chunk, encoding, callback) {
                  md5Context.update(chunk, encoding);
                  totalLength += chunk.length;
                  callback(null, chunk);
                },
              }),
            )
            .on('error', reject)
            .pipe(writeStream);
        }
      });
      await this.putMetadata(object.bucket, object.key, object.metadata, md5);
      await fs.rename(tempPath, objectPath);
      return { size, md5 };
    } catch (err) {
      await fs.remove(tempPath).catch(() => {});
      throw err;
    }
  }


`);
replace('  async putMetadata(bucket, key, metadata, md5) {', '  // store implementation', `
  async putMetadata(bucket, key, metadata, md5) {
    // Patched by deploy/local/s3rver-atomic.js: each file written aside and renamed into place.
    const metadataPath = this.getResourcePath(bucket, key, 'metadata.json');
    const md5Path = this.getResourcePath(bucket, key, 'object.md5');

    const json = {
      ...pick(metadata, S3Object.ALLOWED_METADATA),
      ...pickBy(metadata, (value, key) => key.startsWith('x-amz-meta-')),
    };

    const replace = async (file, data) => {
      const temp = \`\${file}.tmp-\${process.pid}-\${crypto.randomBytes(6).toString('hex')}\`;
      try {
        await fs.writeFile(temp, data);
        await fs.rename(temp, file);
      } catch (err) {
        await fs.remove(temp).catch(() => {});
        throw err;
      }
    };
    if (md5) await replace(md5Path, md5);
    await replace(metadataPath, JSON.stringify(json, null, 2));
  }


`);
fs.writeFileSync(file, source);
