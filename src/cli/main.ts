const [cmd] = process.argv.slice(2);
console.error(`clade: command '${cmd ?? ''}' is not available yet`);
process.exit(2);
