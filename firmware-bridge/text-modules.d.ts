// printer.cfg files imported as text (Bun's `with { type: "text" }`).
declare module "*.cfg" {
  const text: string;
  export default text;
}
