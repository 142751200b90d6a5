import { PGlite } from '@electric-sql/pglite';
let t=performance.now();
const db = await PGlite.create('memory://');
console.log('memory first', (performance.now()-t).toFixed(0));
t=performance.now();
const dump = await db.dumpDataDir('none');
console.log('dump', (performance.now()-t).toFixed(0), dump.size);
for (let i=0;i<2;i++){
t=performance.now();
const db2 = await PGlite.create('memory://', { loadDataDir: dump });
await db2.query('select 1');
console.log('load from dump', (performance.now()-t).toFixed(0));
t=performance.now();
const db3 = await PGlite.create('memory://');
console.log('memory again', (performance.now()-t).toFixed(0));
}
